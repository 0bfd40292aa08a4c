"""Fine-tuning figures for SmolLM2-135M-Instruct + the Geneverse LoRA adapter.

    python evals/bench_finetune.py throughput --data DIR [--steps 4]   # LoRA training tokens/s, peak memory
    python evals/bench_finetune.py compare --data DIR                  # held-out loss and the paper's 20
                                                                        # test genes, before and after

`compare` writes evals/finetune/paper_test_genes.jsonl and .md (outputs before / after) and
evals/finetune/heldout_loss.json. Figures are printed; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).resolve().parent / "finetune"


def throughput(data: str, steps: int, batch_size: int, cutoff_len: int, mixed_precision: str) -> None:
    """Train a fresh LoRA for a few steps in a child process; report its tokens/s and peak RSS."""
    with tempfile.TemporaryDirectory() as out:
        command = [str(Path(sys.executable).parent / "geneverse"), "finetune", "llm", "--data", data, "--out", out,
                   "--max-steps", str(steps), "--batch-size", str(batch_size), "--cutoff-len", str(cutoff_len),
                   "--mixed-precision", mixed_precision, "--max-val-examples", "0", "--save-every", "100000",
                   "--json"]
        started = time.monotonic()
        done = subprocess.run(command, check=False, capture_output=True, text=True)
        wall = time.monotonic() - started
        if done.returncode != 0:
            sys.exit(done.stderr[-2000:])
        result = json.loads(done.stdout.strip().splitlines()[-1])
    child_peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"LoRA r8 on SmolLM2-135M-Instruct, {steps} steps x batch {batch_size}, cutoff {cutoff_len}, "
          f"{mixed_precision}: {result['tokens']} tokens, {result['tokens_per_s']:.1f} tokens/s of training, "
          f"peak memory {child_peak_mb:.0f} MB (process RSS), wall {wall:.0f} s including model load")


def compare(data: str, max_new_tokens: int) -> None:
    from accelerate import Accelerator

    from finetune.data import read_records
    from finetune.sft import collate, mean_response_loss, tokenize_record
    from tools.llm import LLMConfig, load_llm

    heldout = read_records(Path(data) / "heldout.jsonl")
    val = read_records(Path(data) / "val.jsonl")[:64]
    accelerator = Accelerator()
    rows = {r.symbol: {"symbol": r.symbol, "reference": r.output} for r in heldout}
    losses = {}
    for label, adapter in (("before", None), ("after", "default")):
        generator = load_llm(LLMConfig(adapter=adapter, max_new_tokens=max_new_tokens))
        for split, records in (("paper_test_genes", heldout), ("val64", val)):
            examples = [tokenize_record(generator.tokenizer, r, 2048, "auto") for r in records]
            batches = [collate(examples[i:i + 4], generator.tokenizer.pad_token_id) for i in range(0, len(examples), 4)]
            losses.setdefault(split, {})[label] = mean_response_loss(generator.model, batches, accelerator)
        started = time.monotonic()
        outputs = generator.generate_batch([r.instruction for r in heldout])
        print(f"{label}: {generator.name}: {len(heldout)} descriptions in {time.monotonic() - started:.0f} s")
        for record, text in zip(heldout, outputs, strict=True):
            rows[record.symbol][label] = text
    OUT.mkdir(exist_ok=True)
    (OUT / "heldout_loss.json").write_text(json.dumps(losses, indent=2) + "\n")
    with (OUT / "paper_test_genes.jsonl").open("w") as lines:
        for row in rows.values():
            lines.write(json.dumps(row, ensure_ascii=False) + "\n")
    (OUT / "paper_test_genes.md").write_text(_markdown(rows, losses, max_new_tokens))
    for split, pair in losses.items():
        print(f"response loss on {split}: before {pair['before']:.4f}, after {pair['after']:.4f}")


def _markdown(rows: dict, losses: dict, max_new_tokens: int) -> str:
    parts = [
        "# The paper's 20 test genes: SmolLM2-135M-Instruct before and after the Geneverse LoRA adapter\n",
        f"Greedy decoding, at most {max_new_tokens} new tokens, the paper's prompt. The reference is the graph's "
        "description (never trained on). Response-token loss (nats/token): "
        + "; ".join(f"{s}: before {p['before']:.3f}, after {p['after']:.3f}" for s, p in losses.items()) + ".\n",
    ]
    for row in rows.values():
        parts.append(f"## {row['symbol']}\n\n**Before:** {row['before']}\n\n**After:** {row['after']}\n\n"
                     f"**Graph reference:** {row['reference']}\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    speed = sub.add_parser("throughput")
    speed.add_argument("--data", required=True)
    speed.add_argument("--steps", type=int, default=4)
    speed.add_argument("--batch-size", type=int, default=4)
    speed.add_argument("--cutoff-len", type=int, default=320)
    speed.add_argument("--mixed-precision", default="bf16")
    before_after = sub.add_parser("compare")
    before_after.add_argument("--data", required=True)
    before_after.add_argument("--max-new-tokens", type=int, default=160)
    args = parser.parse_args()
    if args.command == "throughput":
        throughput(args.data, args.steps, args.batch_size, args.cutoff_len, args.mixed_precision)
    else:
        compare(args.data, args.max_new_tokens)


if __name__ == "__main__":
    main()
