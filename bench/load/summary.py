"""One target's figures, from what bench/load/clients.py recorded and measure.py sampled."""

import statistics
from collections import Counter, defaultdict

from bench.wizard_payload import STEP_NAMES


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    index = min(len(values) - 1, max(0, round(q / 100 * len(values) + 0.5) - 1))
    return values[index]


def summarise(target, run, rss):
    """One target's figures over all its measured slices.

    Throughput counts completions while the target was active (slice start to switch);
    CPU, Redis and latency figures run to the end of the drain (requests in flight at the switch
    finish and count), so CPU per wizard divides by the completions of that longer span.
    """
    slices = run.slices
    active_time = sum(switch - start for start, switch, _, _, _ in slices)
    span = sum(drained - start for start, _, drained, _, _ in slices)

    def within(t, active_only=False):
        return any(start <= t <= (switch if active_only else drained) for start, switch, drained, _, _ in slices)

    records = [rec for rec in run.records if within(rec[0])]
    completions = sum(1 for t in run.completions if within(t, active_only=True))
    completions_span = sum(1 for t in run.completions if within(t))
    active_requests = sum(1 for rec in run.records if within(rec[0], active_only=True))

    def total(key):
        if key == "pg_cpu":  # per backend: one that went away meanwhile counts for nothing
            return sum(
                after[key][pid] - before[key][pid]
                for _, _, _, before, after in slices
                for pid in before[key]
                if after[key].get(pid)
            )
        return sum(after[key] - before[key] for _, _, _, before, after in slices)

    delta = Counter()
    for _, _, _, before, after in slices:
        delta.update(after["commandstats"])
        delta.subtract(before["commandstats"])
    for _, sampler in run.samplers:
        delta.subtract(sampler.own)
    server_cmds = {k: v for k, v in delta.items() if v > 0 and k != "info"}
    per_step = {}
    for step in STEP_NAMES:
        for method in ("GET", "POST"):
            rows = [rec for rec in records if rec[1] == step and rec[2] == method]
            if not rows:
                continue
            trips = [rec[4] - rec[5] for rec in rows]
            per_step[f"{step} {method}"] = {
                "n": len(rows),
                "p50": pct([rec[3] for rec in rows], 50) * 1000,
                "p95": pct([rec[3] for rec in rows], 95) * 1000,
                "p99": pct([rec[3] for rec in rows], 99) * 1000,
                "rt_mean": statistics.fmean(trips),
                "rt_max": max(trips),
                "cmds_mean": statistics.fmean(rec[6] for rec in rows),
                "names": Counter(rec[7] for rec in rows).most_common(3),
                "bytes": statistics.fmean(rec[8] for rec in rows),
            }
    n = len(records)
    per_wizard = (lambda value: value * 1000 / completions_span) if completions_span else (lambda value: 0.0)
    machine = total("machine_busy") - sum(total(k) for k in ("gunicorn_cpu", "pg_cpu", "redis_cpu", "loadgen_cpu"))
    samples = [sample for _, sampler in run.samplers for sample in sampler.samples]
    shares = [share for _, sampler in run.samplers for share in sampler.share]
    return {
        "target": target,
        "slices": len(slices),
        "active_time": active_time,
        "completions": completions,
        "completions_s": completions / active_time if active_time else 0.0,
        "slice_rates": [
            round(sum(1 for t in run.completions if start <= t <= switch) / (switch - start), 2)
            for start, switch, _, _, _ in slices
        ],
        "requests": active_requests,
        "requests_s": active_requests / active_time if active_time else 0.0,
        "errors": sum(run.errors.values()),
        "error_kinds": dict(run.errors),
        "error_samples": run.error_samples,
        "per_step": per_step,
        "rt_per_request": statistics.fmean(rec[4] - rec[5] for rec in records) if records else 0.0,
        "rt_upkeep_per_request": statistics.fmean(rec[5] for rec in records) if records else 0.0,
        "client_cmds_per_request": statistics.fmean(rec[6] for rec in records) if records else 0.0,
        "server_cmds_per_request": sum(server_cmds.values()) / n if n else 0.0,
        "server_cmds_per_wizard": {
            k: v / completions_span for k, v in sorted(server_cmds.items(), key=lambda kv: -kv[1])
        } if completions_span else {},
        "gunicorn_cpu_ms": per_wizard(total("gunicorn_cpu")),
        "pg_cpu_ms": per_wizard(total("pg_cpu")),
        "redis_cpu_ms": per_wizard(total("redis_cpu")),
        "loadgen_cpu_share": total("loadgen_cpu") / span if span else 0.0,
        "other_load": machine / span if span else 0.0,
        "rss_max": max(rss, default=0.0),
        "memory": samples,
        "memory_share": shares,
    }


def memory_summary(result):
    samples = result["memory"]
    if not samples:
        return None
    by_label = defaultdict(list)
    for label, size, with_tomb, raw_len in samples:
        by_label[label].append((size, with_tomb, raw_len))
    return {
        label: {
            "n": len(rows),
            "median": statistics.median(r[0] for r in rows),
            "max": max(r[0] for r in rows),
            "with_tomb_max": max(r[1] for r in rows),
            "raw_max": max(r[2] for r in rows),
        }
        for label, rows in sorted(by_label.items())
    }

