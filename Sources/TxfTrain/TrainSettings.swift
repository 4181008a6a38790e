import TxfDist
import TxfModel

extension TrainSetting {
    /// Every training setting, in the order of `txf-train --help`.
    ///
    /// Help sentences leave out the default: it is read from `TrainConfig()` for fields that
    /// always hold a value, and named here (from where it is applied) for optional ones.
    public static var all: [TrainSetting] {
        let lora = LoRAConfig()
        return [
            .optional("train", .files, \.train, "Prepared training dataset (txf prepare). Required"),
            .optional("eval", .files, \.eval,
                      "Prepared evaluation dataset: accuracy, macro F1, MCC and loss every --eval-every steps and at the end"),
            .optional("out", .files, \.out, "Run directory for checkpoints and metrics.jsonl. Required"),
            .optional("init", .files, \.initFrom,
                      "Model file to start from: txf import-hf output or a checkpoint", default: "random weights"),
            .optional("vocab", .files, \.vocab,
                      "vocab.txt the data was prepared with; checked against the data's vocab hash; needed unless --init or a resumed checkpoint carries one"),

            .field("objective", .model, \.objective,
                   "What the run learns: supervised (the data's labels or targets) or masked-lm (BERT's masked-token prediction on the data's text, labels not read; its final.h5 then starts a classifier with --init)"),
            .optional("layers", .model, \.layers, "Encoder blocks", default: "\(Architecture.defaultLayers)"),
            .optional("hidden", .model, \.hidden, "Hidden size", default: "\(Architecture.defaultHidden)"),
            .optional("heads", .model, \.heads, "Attention heads; must divide --hidden", default: "\(Architecture.defaultHeads)"),
            .optional("ffn", .model, \.ffn, "Feed-forward size", default: "4 × hidden"),
            .optional("max-length", .model, \.maxLength, "Longest sequence, position embeddings",
                      default: "\(Architecture.defaultMaxLength)"),
            .optional("pooling", .model, \.pooling,
                      "What the classifier reads of the last hidden states: cls (the first token's, BERT's) or mean (their mean over each row's tokens, as sentence-transformers pools MiniLM; not exportable to Hugging Face's BertForSequenceClassification)",
                      default: Architecture.defaultPooling.rawValue),

            .field("mode", .fineTuning, \.mode,
                   "full: train every tensor; lora: freeze the --init model, train LoRA adapters and the classifier"),
            .optional("lora-rank", .fineTuning, \.loraRank, "LoRA rank r", default: "\(lora.rank)"),
            .optional("lora-alpha", .fineTuning, \.loraAlpha, "LoRA alpha; updates are scaled by alpha / r",
                      default: lora.alpha.shown),
            .optional("lora-dropout", .fineTuning, \.loraDropout, "Dropout on the adapters' inputs",
                      default: lora.dropout.shown),
            .optional("lora-targets", .fineTuning, \.loraTargets,
                      "Adapted layers of every block, comma-separated: query, key, value, attention.output, intermediate, output",
                      default: lora.targets.map(\.rawValue).joined(separator: ",")),
            .optional("train-pooler", .fineTuning, \.trainPooler,
                      "With --mode lora, train the pooler too (the classifier always trains)",
                      default: lora.trainPooler.shown),

            .field("epochs", .optimisation, \.epochs,
                   "Passes over the training data, fractions allowed (0.5, 2.5): epochs × steps per epoch optimizer steps, rounded up"),
            .optional("max-steps", .optimisation, \.maxSteps,
                      "Optimizer steps to take; the schedule ends here (overrides --epochs)"),
            .field("precision", .optimisation, \.precision,
                   "Matrix products: bf16 (bf16 inputs on the CPU's AMX or AVX512-BF16 units through oneDNN, fp32 accumulation, fp32 master weights and AdamW), fp32 (OpenBLAS sgemm), auto (bf16 where the CPU has such units, else fp32), or bf16-reference (the bf16 numbers on any CPU, through fp32 sgemm on rounded inputs; slower, for checking)"),
            .field("global-batch", .optimisation, \.globalBatch, "Samples per optimizer step, all ranks together"),
            .optional("micro-batch", .optimisation, \.microBatch,
                      "Samples per rank per micro-step; the rest is accumulation", default: "global batch / ranks"),
            .field("lr", .optimisation, \.lr, "Peak learning rate"),
            .optional("warmup-steps", .optimisation, \.warmupSteps, "Warmup steps (exclusive with --warmup-ratio)",
                      default: "0"),
            .optional("warmup-ratio", .optimisation, \.warmupRatio, "Warmup as a fraction of all steps, rounded up"),
            .field("schedule", .optimisation, \.schedule, "Decay after warmup"),
            .field("weight-decay", .optimisation, \.weightDecay, "AdamW weight decay, not on biases and LayerNorm"),
            .field("max-grad-norm", .optimisation, \.maxGradNorm, "Clip the global gradient norm to this; 0 = off"),
            .field("dropout", .optimisation, \.dropout, "Dropout probability in the encoder and before the classifier"),
            .field("seed", .optimisation, \.seed, "Seed of initialisation, data order and dropout"),
            .field("group-by-length", .optimisation, \.groupByLength, "Batch rows of similar length together (less padding)"),
            .field("length-group-batches", .optimisation, \.lengthGroupBatches,
                   "With --group-by-length, global batches per group sorted by length: larger pads less, smaller keeps more of random order's mixing (Hugging Face's is 50)"),

            .field("log-every", .reporting, \.logEvery, "Steps between progress lines"),
            .field("progress", .reporting, \.progress,
                   "bar: one line redrawn in place; lines: a line per --log-every steps, for logs; auto: bar when the run was started from a terminal (under mpirun: when mpirun's own output is one), else lines"),
            .optional("eval-every", .reporting, \.evalEvery, "Steps between evaluations; 0 = only at the end", default: "0"),
            .field("metric-for-best", .reporting, \.metricForBest,
                   "The evaluation metric that chooses best.h5 and early stopping: accuracy, f1 (macro), mcc (Matthews) or loss (lower is better); for regression data pearson (the default there), spearman, mse or loss (lower is better); for --objective masked-lm loss (per picked token, its only metric)"),
            .field("early-stopping-patience", .reporting, \.earlyStoppingPatience,
                   "Stop (writing final.h5) after this many evaluations without an improvement of --metric-for-best; 0 = off"),
            .optional("save-every", .reporting, \.saveEvery,
                      "Steps between checkpoints step-N.h5 (a crash loses at most this many); 0 = only final.h5",
                      default: "\(TrainConfig.defaultSaveEvery)"),
            .field("keep", .reporting, \.keep,
                   "Step checkpoints to keep, the newest; best.h5 (weights only, for predict and export) and final.h5 are kept apart"),
            .optional("resume", .reporting, \.resume,
                      "auto: continue from the newest checkpoint in --out (or start fresh); or a checkpoint path"),
            .optional("allow-schedule-change", .reporting, \.allowScheduleChange,
                      "Resume although --max-steps/--epochs, --lr, the warmup or --schedule differ from the checkpoint's (otherwise an error naming them): the rest of the run follows the new schedule",
                      default: "off"),
            .optional("stall-timeout", .reporting, \.stallTimeout,
                      "Seconds a rank waits for the others in one collective before the job ends (exit 75) naming the rank that stalled; ×10 at start-up, evaluation and checkpoints, ×5 in the first step; 0 = wait forever",
                      default: StallWatch.defaultTimeout.shown),
            .field("overlap-reduction", .reporting, \.overlapReduction,
                   "Sum the gradient over ranks while the last micro-batch's backward computes the layers below (the same sums, bit for bit); off sums it after backward, for measurement and debugging"),
        ]
    }
}
