"""Python cost of one fastai training step, against a raw PyTorch step, with a model too small to matter.

Claim measured: how many milliseconds per step a fastai `Learner` spends outside the model — as fastai builds it by
default (`Learner`, `CrossEntropyLossFlat`, `Recorder`) and as `run()` builds it (`LeanLearner`, `nn.CrossEntropyLoss`,
`DeviceLosses`), both with PyTorch's SGD through `OptimWrapper`, a one-cycle schedule and the tensor `DataLoader`. On a
GPU this CPU time is hidden only while the GPU's own step takes longer. Measured on this project's 2-core CPU, one
thread, 2026-11-27 (`bench/results/cpu-2026-11-27-step-overhead.json`): 1.02 ms a step as fastai builds it, 0.68 ms as
`run()` builds it, 0.08 ms for the raw PyTorch step.

    python bench/step_overhead.py [--out FILE]
"""
import argparse, json, platform, statistics, time, warnings
from pathlib import Path
import torch, torch.nn as nn, torch.nn.functional as F

warnings.filterwarnings('ignore')
from fastai.vision.all import Learner, CrossEntropyLossFlat
from randfit_fai.paper import RandData, sgd
from randfit_fai.data import synthetic
from randfit_fai.engine import LeanLearner, DeviceLosses, tensor_dataloaders

STEPS, BS = 200, 64


def fastai_step(rd, cls, loss_func, cbs):
    "Seconds per training step (3 epochs after a warm-up epoch; the tiny validation set is included)"
    learn = cls(tensor_dataloaders(rd, bs=BS, device='cpu'), nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), loss_func=loss_func, opt_func=sgd, cbs=cbs)
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(1, 0.1)
        t = time.perf_counter(); learn.fit_one_cycle(3, 0.1)
    return (time.perf_counter() - t) / (3 * STEPS)


def raw_step(rd):
    m = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x, y = rd.x_train.float().view(-1, 4), torch.as_tensor(rd.y)
    t = time.perf_counter()
    for _ in range(3):
        for i in range(STEPS):
            loss = F.cross_entropy(m(x[i * BS:(i + 1) * BS]), y[i * BS:(i + 1) * BS]); opt.zero_grad(); loss.backward(); opt.step()
    return (time.perf_counter() - t) / (3 * STEPS)


if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--out'); p.add_argument('--repeats', type=int, default=3)
    a = p.parse_args()
    torch.set_num_threads(1)
    rd = RandData(synthetic(n_train=BS * STEPS, n_test=BS, shape=(1, 2, 2), n_classes=2))
    ms = {k: [] for k in ('fastai_default', 'run', 'raw')}
    for _ in range(a.repeats):  # interleaved, so drifts in machine speed hit all three alike
        ms['fastai_default'].append(fastai_step(rd, Learner, CrossEntropyLossFlat(), []) * 1e3)
        ms['run'].append(fastai_step(rd, LeanLearner, nn.CrossEntropyLoss(), [DeviceLosses()]) * 1e3)
        ms['raw'].append(raw_step(rd) * 1e3)
    med = {k: statistics.median(v) for k, v in ms.items()}
    res = dict(device=f'cpu ({platform.processor() or platform.machine()}, 1 thread)', torch=torch.__version__, date=time.strftime('%Y-%m-%d'),
               step_ms=med, overhead_ms={k: med[k] - med['raw'] for k in ('fastai_default', 'run')}, all_ms=ms)
    print(f"per training step (median of {a.repeats}): fastai default {med['fastai_default']:.3f} ms, as run() builds it "
          f"{med['run']:.3f} ms, raw {med['raw']:.3f} ms; Python outside the model: {res['overhead_ms']['fastai_default']:.3f} ms "
          f"-> {res['overhead_ms']['run']:.3f} ms")
    if a.out: Path(a.out).write_text(json.dumps(res, indent=1))
