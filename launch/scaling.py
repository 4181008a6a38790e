#!/usr/bin/env python3
"""Expected samples/s at more ranks and faster links, from one `txf bench --training --json` run.

    launch/txf-mpirun -n 2 txf bench --training --data train.h5 --model base.h5 --json > full.json
    launch/scaling.py full.json [lora.json …] [--cores-per-rank 1,16] [--links 10,25,100]
    launch/scaling.py full.json --ranks 2 --links 1 --check    # the model at the measured point

Per optimizer step, every rank holding the measured per-rank batch (weak scaling: the global
batch grows with the ranks), on W ranks joined by links of R Gbit/s:

    compute  = forward + backward + optimizer, as measured, divided by --cores-per-rank (which
               assumes compute scales with cores: that flatters compute, so the communication
               share is an upper bound); the optimizer is ZeRO-1 sharded, so it shrinks as 1/W
    rate     = R * --link-efficiency (what Open MPI's TCP moved of the link's rate, measured
               on the shaped test cluster: 0.57 at 1 Gbit/s, 0.62 at 10 Gbit/s)
    reduce   = (W-1)/W * reduce_scatter_mb / rate + rounds * latency       (ring, by chunk)
    exposed  = max(reduce - backward, reduce * (1 - --overlap-hidden))     (behind backward)
    rows     = ceil(log2 W) * (union rows * row bytes + one mark per word row) / rate
               (the word rows any rank touched, all-reduced by recursive doubling after
               backward; the union is taken to grow linearly with W up to the vocabulary)
    gather   = (W-1)/W * parameter_gather_mb / rate + rounds * latency      (ring, by chunk)
    step     = compute + exposed + rows + gather

Rounds: W-1 per chunk of 2^21 elements (ShardLayout). Latency: --latency-us per message
(default 50 µs: TCP through one switch).
"""
import argparse
import json
import math

CHUNK_ELEMENTS = 1 << 21


def project(b, ranks, link_gbit, cores, latency_s, efficiency, hidden):
    """(samples/s, communication share of the step) at `ranks` ranks."""
    measured_world = b["world_size"]
    per_rank = b["global_batch"] / measured_world
    optimizer = b["optimizer_s"] * measured_world / ranks
    compute = (b["forward_s"] + b["backward_s"] + optimizer) / cores
    if ranks == 1:
        return per_rank / compute, 0.0
    rate = link_gbit * 1e9 / 8 * efficiency
    share = (ranks - 1) / ranks
    reduce_bytes = b["reduce_scatter_mb"] * 1e6
    gather_bytes = b["parameter_gather_mb"] * 1e6
    gather_elements = b["trainable_parameters"]
    reduce = share * reduce_bytes / rate + math.ceil(reduce_bytes / 4 / CHUNK_ELEMENTS) * (ranks - 1) * latency_s
    exposed = max(reduce - b["backward_s"] / cores, reduce * (1 - hidden))
    rows = 0.0
    width = b.get("word_row_floats") or 0
    if width and b.get("allreduce_word_rows"):
        vocab_rows = (b["trainable_parameters"] - reduce_bytes / 4) / width
        union = min(vocab_rows, b["allreduce_word_rows"] * ranks / measured_world)
        rows = math.ceil(math.log2(ranks)) * ((union * width + vocab_rows) * 4 / rate + latency_s)
    gather = share * gather_bytes / rate + math.ceil(gather_elements / CHUNK_ELEMENTS) * (ranks - 1) * latency_s
    step = compute + exposed + rows + gather
    return ranks * per_rank / step, (exposed + rows + gather) / step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench", nargs="+", help="JSON of `txf bench --training --json`")
    parser.add_argument("--ranks", default="1,2,4,8,16,32,64")
    parser.add_argument("--links", default="10,25,100", help="link rates in Gbit/s")
    parser.add_argument("--cores-per-rank", default="1", help="compute speed-up of a rank over the measured one")
    parser.add_argument("--latency-us", type=float, default=50.0)
    parser.add_argument("--link-efficiency", type=float, default=0.6)
    parser.add_argument("--overlap-hidden", type=float, default=0.55,
                        help="share of the reduction hidden behind backward when backward is the longer "
                             "(measured 0.47 and 0.66 at 1 Gbit/s); 0 for --no-overlap-reduction")
    parser.add_argument("--check", action="store_true", help="also print the step time the model gives")
    args = parser.parse_args()
    ranks = [int(r) for r in args.ranks.split(",")]
    links = [float(l) for l in args.links.split(",")]
    for path in args.bench:
        with open(path) as f:
            b = json.load(f)
        for cores in [float(c) for c in args.cores_per_rank.split(",")]:
            print(f"\n{path}: {b['mode']}, {b['trainable_parameters']:,} trainable, "
                  f"{b['global_batch'] // b['world_size']} samples per rank per step; measured "
                  f"{b['samples_per_s']:.1f} samples/s on {b['world_size']} ranks; compute x{cores:g} per rank")
            print("| ranks | " + " | ".join(f"{l:g} Gbit/s: samples/s (comm share)" for l in links) + " |")
            print("|---:|" + "---:|" * len(links))
            for w in ranks:
                cells = []
                for link in links:
                    speed, comm = project(b, w, link, cores, args.latency_us * 1e-6, args.link_efficiency,
                                               args.overlap_hidden)
                    cells.append(f"{speed:,.0f} ({comm:.0%})")
                    if args.check:
                        cells[-1] += f" step {w * b['global_batch'] / b['world_size'] / speed:.3f} s"
                print(f"| {w} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
