"""Python cost of one fastai training step, against a raw PyTorch step, with a model too small to matter.

Claim measured: how many milliseconds per step a fastai `Learner` (as `run()` builds it: `PlainTensors`, `DeviceLosses`,
PyTorch's SGD through `OptimWrapper`, one-cycle schedule, the tensor `DataLoader`) spends outside the model. On a GPU
this CPU time is hidden only while the GPU's own step takes longer.

    python bench/step_overhead.py
"""
import sys, time, warnings
from pathlib import Path
import torch, torch.nn as nn, torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
warnings.filterwarnings('ignore')
from fastai.vision.all import Learner, CrossEntropyLossFlat
from randfit_fai.data import RandData, synthetic
from randfit_fai.callbacks import PlainTensors, DeviceLosses
from randfit_fai.run import sgd

if __name__ == '__main__':
    torch.set_num_threads(1)
    steps, bs = 200, 64
    rd = RandData(synthetic(n_train=bs * steps, n_test=bs, shape=(1, 2, 2), n_classes=2))
    m = nn.Sequential(nn.Flatten(), nn.Linear(4, 2))
    learn = Learner(rd.dataloaders(bs=bs, device='cpu'), m, loss_func=CrossEntropyLossFlat(), opt_func=sgd, cbs=[PlainTensors(), DeviceLosses()])
    with learn.no_bar(), learn.no_logging():
        learn.fit_one_cycle(1, 0.1)
        t = time.perf_counter(); learn.fit_one_cycle(3, 0.1); fastai = (time.perf_counter() - t) / (3 * steps)
    opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    x, y = rd.x_train.float().view(-1, 4), torch.as_tensor(rd.y)
    t = time.perf_counter()
    for _ in range(3):
        for i in range(steps):
            loss = F.cross_entropy(m(x[i * bs:(i + 1) * bs]), y[i * bs:(i + 1) * bs]); opt.zero_grad(); loss.backward(); opt.step()
    raw = (time.perf_counter() - t) / (3 * steps)
    print(f"per training step: fastai {fastai * 1e3:.3f} ms, raw {raw * 1e3:.3f} ms, fastai overhead {(fastai - raw) * 1e3:.3f} ms "
          f"(validation included in fastai's figure: {bs} test images per epoch)")
