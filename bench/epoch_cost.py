"""Does a fastai `Learner` epoch, as `run()` builds it, cost more than a raw PyTorch loop's?

Claim: with the same model, batch, precision and GPU-resident data, an epoch through the `Learner` `run()` builds
(`LeanLearner`, `nn.CrossEntropyLoss`, `DeviceLosses`, and on CUDA `GraphStep`) costs at most 1.1 times a raw PyTorch
loop's epoch. Measured on an NVIDIA H200, 2026-11-27 (`bench/results/h200-2026-11-27-quick-v7.json`, then from
`bench/memorize.py`), CIFAR-10, WRN-16-4, batch 1024: raw eager loop 0.629 s an epoch, raw loop with each step one CUDA
graph 0.612 s, the `Learner` 0.621 s: 0.99 times the raw eager loop, 1.01 times the CUDA-graph one.

Also timed: the `Learner` without `GraphStep`, as fastai builds it by default (`Learner`, `CrossEntropyLossFlat`,
`Recorder`), and with `Memorize`'s measurements and the test pass. The raw-against-`Learner` ratio is measured in
alternating rounds, so drifts of the machine hit both alike.

    python bench/epoch_cost.py [--data PATH/cifar10 | --synthetic] [--quick] [--out FILE]
"""
import argparse, statistics, time
import torch
import randfit_fai
from randfit_fai.paper import RandData
from randfit_fai.data import get_dataset, subsample, synthetic
from randfit_fai.recipes import recipe_for
from common import attempt, fastai_epochs, graph_epochs, machine, raw_epochs, save_json

if __name__ == '__main__':
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default='cifar10', help='CIFAR-10 folder in fastai layout, or a registered dataset name')
    p.add_argument('--synthetic', action='store_true', help='50,000 synthetic CIFAR-shaped images instead of --data')
    p.add_argument('--quick', action='store_true', help='fewer epochs; on a CPU a 1,000-image subset and an MLP')
    p.add_argument('--device', default=None)
    p.add_argument('--eager', action='store_true', help='the Learner as run() builds it, with eager steps')
    p.add_argument('--out', help='write the results as JSON here')
    a = p.parse_args()
    dev = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    cuda = dev.type == 'cuda'
    res = dict(**machine(dev), torch=torch.__version__, randfit_fai=randfit_fai.__version__,
               date=time.strftime('%Y-%m-%d'), quick=a.quick)
    ds = synthetic(50000, 10000) if a.synthetic else get_dataset(a.data)
    small = a.quick and not cuda
    if small: ds = subsample(ds, min(1000, len(ds.x_train)))
    rd = RandData(ds, corrupt=1.0, seed=0)
    recipe = recipe_for(tuple(ds.x_train.shape[1:]), len(ds.x_train), device=dev)
    if small: recipe.update(arch='mlp-1x512', bs=64, lr=0.01)
    res.update(recipe=recipe, n_train=len(ds.x_train))
    n_ep, args = 4 if a.quick else 6, (rd, recipe['arch'], recipe['bs'], recipe['lr'])
    g = False if a.eager else None  # GraphStep as run() decides, or eager steps
    raw_r, fastai_r = [], []
    for _ in range(2):
        (t, loss), f = raw_epochs(*args, n_ep, dev), fastai_epochs(*args, n_ep, dev, graph=g)
        raw_r.append(t)
        fastai_r.append(f)
    raw, fast = statistics.mean(raw_r), statistics.mean(fastai_r)
    res.update(raw_epoch_s=raw, fastai_epoch_s=fast, raw_rounds_epoch_s=raw_r, fastai_rounds_epoch_s=fastai_r,
               raw_last_epoch_loss=loss, fastai_vs_raw_epoch_ratio=fast / raw)
    if (out := attempt(res, 'raw_graph_epoch_s', graph_epochs, *args, n_ep, dev)) is not None:
        res['raw_graph_epoch_s'], res['raw_graph_last_epoch_loss'] = out
        res['raw_graph_captured'] = cuda
    variants = dict(fastai_default_epoch_s=dict(lean=False), fastai_memorize_epoch_s=dict(memorize=True, graph=g))
    if cuda and not a.eager: variants['fastai_eager_epoch_s'] = dict(graph=False)
    for k, kw in variants.items():
        if (v := attempt(res, k, fastai_epochs, *args, n_ep, dev, **kw)) is not None: res[k] = v
    for k, base in (('fastai_eager', 'raw'), ('fastai_default', 'raw'), ('fastai', 'raw_graph')):
        if res.get(k + '_epoch_s') and res.get(base + '_epoch_s'):
            res[f'{k}_vs_{base}_epoch_ratio'] = res[k + '_epoch_s'] / res[base + '_epoch_s']
    for k, v in res.items():
        if k.endswith(('_epoch_s', '_ratio')) and isinstance(v, float): print(f'{k:32s} {v:.3f}')
    save_json(res, a.out)
