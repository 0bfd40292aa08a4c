"""Seconds and peak memory to score one variant in all 5,313 tracks, with and without background variants.

Full-size Enformer architecture with random weights (the real checkpoint's compute) on the real GATA4 window
(N-padded to 196,608 bp); each configuration runs in its own process so peak memory figures do not mix. A
variant costs 2 windows (ref and alt), plus one per background substitution, times the shifts, times 2 with
reverse-complement averaging.

    .venv/bin/python evals/bench_variant.py                          # background 0 and 8, batch 1 and 4, CPU
    .venv/bin/python evals/bench_variant.py --background 16 --device cuda
    .venv/bin/python evals/bench_variant.py --tiny                   # the tests' tiny model, for a quick look
"""

import argparse
import json
import resource
import subprocess
import sys
import time


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux


def measure(batch: int, background: int, device: str, tiny: bool) -> dict:
    import torch

    from kg.paths import data_dir
    from tools.tracks.model import ModelConfig, load_enformer
    from tools.tracks.sequence import read_fasta_record
    from tools.tracks.variant import RawSequence, Variant, VariantConfig, score_variant

    config = ModelConfig.tiny() if tiny else ModelConfig()
    loaded = load_enformer(config.model_copy(update={"device": device, "batch_size": batch}))
    rss_loaded = _peak_rss_gib()
    _, sequence = read_fasta_record(data_dir() / "enformer" / "small_examples" / "basenji_gata4.fa")
    position = len(sequence) // 2 + 1
    ref = sequence[position - 1].upper()
    variant = Variant(position=position, ref=ref, alt="A" if ref != "A" else "G")
    source = RawSequence(sequence, "GATA4")
    if loaded.device.type == "cuda":
        score_variant(variant, source, loaded, VariantConfig(background=0))  # warm-up: kernels and allocator
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    effects = score_variant(variant, source, loaded, VariantConfig(background=background))
    if loaded.device.type == "cuda":
        torch.cuda.synchronize()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    windows = 2 + background
    return {
        "model": "tiny" if tiny else "full", "batch": batch, "background": background, "device": str(loaded.device),
        "threads": torch.get_num_threads(), "windows": windows, "tracks": int(effects.sad.shape[0]),
        "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "wall_s_per_window": round(wall / windows, 2),
        "peak_rss_gib": round(_peak_rss_gib(), 2), "model_loaded_rss_gib": round(rss_loaded, 2),
        "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if loaded.device.type == "cuda" else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, action="append", help="windows per forward pass (repeatable; 1 and 4)")
    parser.add_argument("--background", type=int, action="append", help="background substitutions (repeatable; 0 "
                                                                         "and 8)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--tiny", action="store_true", help="the tests' tiny random model instead of the full size")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.batch[0], args.background[0], args.device, args.tiny)))
        return
    for background in args.background or [0, 8]:
        for batch in args.batch or [1, 4]:
            command = [sys.executable, __file__, "--child", "--batch", str(batch), "--background", str(background),
                       "--device", args.device] + (["--tiny"] if args.tiny else [])
            done = subprocess.run(command, check=False, capture_output=True, text=True)
            if done.returncode != 0:
                print(f"batch {batch}, background {background}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                continue
            r = json.loads(done.stdout.strip().splitlines()[-1])
            gpu = f", peak GPU memory {r['peak_gpu_gib']} GiB" if r["peak_gpu_gib"] is not None else ""
            print(f"{r['model']} model, batch {r['batch']}, background {r['background']} on {r['device']} "
                  f"({r['threads']} threads): {r['windows']} windows in {r['wall_s']} wall s ({r['cpu_s']} CPU s, "
                  f"{r['wall_s_per_window']} s per window), peak RSS {r['peak_rss_gib']} GiB (model loaded: "
                  f"{r['model_loaded_rss_gib']} GiB){gpu}")
            print(json.dumps(r))


if __name__ == "__main__":
    main()
