"""CPU (or GPU) time and peak memory of one Enformer forward pass per 196,608 bp window.

Full-size architecture with random weights (same compute as the real checkpoint). Each batch size
runs in its own process so the peak memory figures do not mix.

    .venv/bin/python evals/bench_enformer.py                 # batch 1 and 4 on CPU
    .venv/bin/python evals/bench_enformer.py --batch 1 --device cuda
"""

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # ru_maxrss is in KiB on Linux


def measure(batch: int, device: str, sequence_length: int) -> dict:
    import torch

    from tools.tracks.model import ModelConfig, load_enformer
    from tools.tracks.predict import predict_windows

    loaded = load_enformer(ModelConfig(device=device, batch_size=batch, sequence_length=sequence_length))
    rss_loaded = _peak_rss_gib()
    rng = np.random.default_rng(0)
    windows = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(batch, sequence_length))]
    if loaded.device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        predict_windows(loaded, windows[:1])  # warm-up: kernels and allocator
        torch.cuda.synchronize()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = predict_windows(loaded, windows)
    if loaded.device.type == "cuda":
        torch.cuda.synchronize()
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "batch": batch, "device": str(loaded.device), "threads": torch.get_num_threads(),
        "output_shape": list(out.shape), "cpu_s": round(cpu, 2), "wall_s": round(wall, 2),
        "cpu_s_per_window": round(cpu / batch, 2), "wall_s_per_window": round(wall / batch, 2),
        "peak_rss_gib": round(_peak_rss_gib(), 2), "model_loaded_rss_gib": round(rss_loaded, 2),
        "peak_gpu_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2) if loaded.device.type == "cuda" else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, action="append", help="batch size (repeatable); default 1 and 4")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sequence-length", type=int, default=196_608)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.batch[0], args.device, args.sequence_length)))
        return
    for batch in args.batch or [1, 4]:
        done = subprocess.run(
            [sys.executable, __file__, "--child", "--batch", str(batch), "--device", args.device,
             "--sequence-length", str(args.sequence_length)],
            check=False, capture_output=True, text=True,
        )
        if done.returncode != 0:
            print(f"batch {batch}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        gpu = f", peak GPU memory {r['peak_gpu_gib']} GiB" if r["peak_gpu_gib"] is not None else ""
        print(
            f"batch {r['batch']} on {r['device']} ({r['threads']} threads): output {r['output_shape']}, "
            f"{r['cpu_s_per_window']} CPU s and {r['wall_s_per_window']} wall s per {args.sequence_length:,} bp window "
            f"(batch total {r['cpu_s']} CPU s, {r['wall_s']} wall s), peak RSS {r['peak_rss_gib']} GiB "
            f"(model loaded: {r['model_loaded_rss_gib']} GiB){gpu}"
        )
        print(json.dumps(r))


if __name__ == "__main__":
    main()
