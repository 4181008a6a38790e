#!/usr/bin/env python3
"""Hugging Face Trainer (+ PEFT LoRA) on SST-2 with txf's SST-2 recipes, for the speed comparison.

The settings are those of launch/configs/sst2-minilm-{full,lora}.json: MiniLM from the txf cache,
max length 66, batch 32, AdamW (weight decay 0.01), warmup ratio 0.06 then linear decay, seed 42,
dynamic padding; LoRA r 8, alpha 16, dropout 0.1 on query,value with the classifier trained.
Prints one JSON object: samples/s, real tokens/s, seconds, steps, peak RSS.

    pip install torch peft accelerate   # not needed by txf itself, nor by its tests
    python3 launch/hf-baseline.py --train ../shared/datasets/sst2/train.tsv --mode full \
        --group-by-length --max-steps 400 --threads 2 [--bf16]

It needs transformers 4.40 or later (`use_cpu`; 5.x tested); the reported samples/s is Trainer's own
`train_samples_per_second` (steps × batch ÷ train_runtime, data loading included).
"""
import argparse
import json
import os
import resource
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", required=True, help="TSV with header sentence<TAB>label")
    ap.add_argument("--model-dir", default=os.path.expanduser(os.environ.get("TXF_MINILM_DIR", "~/.cache/txf/minilm")))
    ap.add_argument("--mode", choices=["full", "lora"], default="full")
    ap.add_argument("--group-by-length", action="store_true")
    ap.add_argument("--max-steps", type=int, default=-1, help="steps to run (default: one epoch)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--bf16", action="store_true",
                    help="Trainer's bf16=True: PyTorch CPU autocast, bf16 matrix products on oneDNN (AMX or AVX512-BF16)")
    args = ap.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    from transformers import (AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding,
                              Trainer, TrainingArguments)
    from transformers.utils import logging as hf_logging
    hf_logging.set_verbosity_error()

    sentences, labels = [], []
    with open(args.train, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        s_col, l_col = header.index("sentence"), header.index("label")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            sentences.append(cols[s_col])
            labels.append(int(cols[l_col]))

    tokenizer = AutoTokenizer.from_pretrained(args.model_dir)
    encoded = tokenizer(sentences, truncation=True, max_length=66)
    rows = [{"input_ids": ids, "attention_mask": mask, "labels": label}
            for ids, mask, label in zip(encoded["input_ids"], encoded["attention_mask"], labels)]

    class Rows(torch.utils.data.Dataset):
        def __len__(self):
            return len(rows)

        def __getitem__(self, i):
            return rows[i]

    torch.manual_seed(42)
    model = AutoModelForSequenceClassification.from_pretrained(args.model_dir, num_labels=2)
    lr = 5e-5
    if args.mode == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(task_type="SEQ_CLS", r=8, lora_alpha=16, lora_dropout=0.1,
                                                 target_modules=["query", "value"]))
        lr = 5e-4

    settings = dict(
        output_dir="/tmp/txf-hf-baseline", per_device_train_batch_size=32, learning_rate=lr, weight_decay=0.01,
        lr_scheduler_type="linear", num_train_epochs=1, max_steps=args.max_steps, seed=42, logging_steps=50,
        save_strategy="no", report_to=[], dataloader_num_workers=0, use_cpu=True, disable_tqdm=True, bf16=args.bf16)
    # transformers 5 folded warmup_ratio into warmup_steps (a float < 1 is a ratio) and
    # group_by_length into train_sampling_strategy; 4.x has the old names.
    import inspect
    known = inspect.signature(TrainingArguments.__init__).parameters
    if "warmup_ratio" in known:
        settings.update(warmup_ratio=0.06, group_by_length=args.group_by_length)
    else:
        settings.update(warmup_steps=0.06,
                        train_sampling_strategy="group_by_length" if args.group_by_length else "random")
    training_args = TrainingArguments(**settings)
    trainer = Trainer(model=model, args=training_args, train_dataset=Rows(),
                      data_collator=DataCollatorWithPadding(tokenizer))
    started = time.monotonic()
    out = trainer.train()
    seconds = time.monotonic() - started
    steps = out.global_step
    lengths = [len(r["input_ids"]) for r in rows]
    samples = steps * 32
    mean_length = sum(lengths) / len(lengths)
    print(json.dumps({
        "framework": f"transformers {__import__('transformers').__version__}, torch {torch.__version__}",
        "mode": args.mode, "group_by_length": args.group_by_length, "threads": args.threads, "bf16": args.bf16,
        "steps": steps, "seconds": round(seconds, 1),
        "samples_per_s": round(out.metrics["train_samples_per_second"], 1),
        "tokens_per_s_estimate": round(out.metrics["train_samples_per_second"] * mean_length),
        "final_loss": round(out.metrics["train_loss"], 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    sys.exit(main())
