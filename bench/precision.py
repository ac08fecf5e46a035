"""Where bf16 pays on a CPU: one training step in fp32 and under bf16 autocast (channels_last for convolutions).

Claim measured (the CPU precision choice): on a CPU with bf16 units (AMX-BF16, AVX512-BF16), bf16 autocast makes a
training step faster once the step holds enough work, and slower below that, where its casts cost more than the faster
matmuls save. Hence `run()`'s rule: bf16 from `BF16_MIN_MFLOPS` of training work per step where the CPU computes bf16
natively, else fp32. Also measured, for the fraction of the machine a run uses: the matmul peaks in fp32 and bf16.
Measured on this project's 2-core CPU (x86_64 with AVX512-BF16, no AMX), torch 2.14.1, one thread, 2026-12-06
(`bench/results/cpu-2026-12-06-precision.json`, the Performance page): bf16 0.58× as fast as fp32 on the digits MLP
step (3.6 MFLOP), 1.02× at 52 MFLOP, 1.21× at 78, 1.32× at 156, 1.50× on the CIFAR MLP (606), 2.2× on WRN-10-1 and
WRN-16-4; matmul 99 GFLOP/s in fp32 and 221 in bf16.

Each case: forward, cross-entropy, backward and an SGD step with momentum on random data, the median over `--steps`
steps after two warm-up steps; fp32 and bf16 alternate within one run, so the ratio holds on a loaded machine too.

    python bench/precision.py [--steps 20] [--out bench/results/cpu-DATE-precision.json]
"""
import argparse, json, platform, statistics, time
from pathlib import Path
import torch, torch.nn.functional as F
from randfit_fai.paper import create_model
from randfit_fai.recipes import step_mflops
from randfit_fai.engine import cpu_bf16, BF16_MIN_MFLOPS

# (network, image shape, batch): the digits and CIFAR MLPs of the recipes, then convolutional networks
CASES = [('mlp-1x512', (1, 8, 8), 16), ('mlp-1x512', (1, 8, 8), 64), ('mlp-1x512', (1, 16, 16), 64),
         ('mlp-1x512', (1, 28, 28), 32), ('mlp-1x512', (1, 28, 28), 64), ('mlp-1x512', (3, 32, 32), 64),
         ('mlp-3x512', (3, 32, 32), 64), ('mlp-1x512', (3, 28, 28), 128), ('alexnet', (3, 28, 28), 128),
         ('wrn-10-1', (3, 32, 32), 128), ('wrn-16-4', (3, 32, 32), 128)]


def step_ms(arch, shape, bs, bf16, steps):
    "Median milliseconds of one training step"
    torch.manual_seed(0)
    model = create_model(arch, 10, shape)
    conv = any(isinstance(m, torch.nn.Conv2d) for m in model.modules())
    fmt = torch.channels_last if bf16 and conv else torch.contiguous_format
    model = model.to(memory_format=fmt)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(bs, *shape).contiguous(memory_format=fmt), torch.randint(0, 10, (bs,))
    times = []
    for i in range(steps + 2):
        t = time.perf_counter()
        with torch.autocast('cpu', torch.bfloat16, enabled=bf16):
            loss = F.cross_entropy(model(x).float(), y)
        loss.backward()
        opt.step()
        opt.zero_grad()
        if i >= 2: times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def matmul_gflops(dtype, n=512, k=2352, reps=50):
    "GFLOP/s of an n×k by k×n matmul (an MLP layer's shape on CIFAR images)"
    a, b = torch.randn(n, k, dtype=dtype), torch.randn(k, n, dtype=dtype)
    for _ in range(5): a @ b
    t = time.perf_counter()
    for _ in range(reps): a @ b
    return 2 * n * k * n * reps / (time.perf_counter() - t) / 1e9


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--out', default=f"bench/results/cpu-{time.strftime('%Y-%m-%d')}-precision.json")
    a = p.parse_args()
    torch.set_num_threads(1)
    rows = []
    for arch, shape, bs in CASES:
        steps = a.steps if arch != 'wrn-16-4' else max(3, a.steps // 5)
        fp32, bf16 = (step_ms(arch, shape, bs, b, steps) for b in (False, True))
        rows.append(dict(arch=arch, shape=shape, bs=bs, mflops=round(step_mflops(arch, 10, shape, bs), 1),
                         fp32_ms=round(fp32, 2), bf16_ms=round(bf16, 2), gain=round(fp32 / bf16, 2)))
        print(rows[-1], flush=True)
    peaks = {str(d).split('.')[-1]: round(matmul_gflops(d), 1) for d in (torch.float32, torch.bfloat16)}
    print('matmul GFLOP/s, one thread:', peaks)
    res = dict(claim=__doc__.splitlines()[0], machine=platform.processor() or platform.machine(),
               cpu_bf16=cpu_bf16(), threads=1, torch=torch.__version__, date=time.strftime('%Y-%m-%d'),
               bf16_min_mflops=BF16_MIN_MFLOPS, matmul_gflops_1thread=peaks, cases=rows)
    Path(a.out).write_text(json.dumps(res, indent=1))
    print('written', a.out)
