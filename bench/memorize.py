"""How fast does `randfit_fai.run(corrupt=1.0)` memorize CIFAR-10 random labels, against a reference recipe and a raw loop?

Claim measured (issue: performance): on one GPU, `run(<cifar10>, corrupt=1.0)` reaches 100 % training accuracy on random
labels, with the data cached, in a wall time that is a small fraction of the reference recipe's, and a fastai `Learner`
epoch costs at most ~1.1x a raw PyTorch loop's epoch with the same model, batch, precision and GPU-resident data.

All in one process, on whatever device is found:
  1. reference recipe: WRN-28-1, fp32, batch 128, per-item PIL decoding (torchvision ImageFolder), 1 worker; timed for a
     fixed number of steps and extrapolated to an epoch, and to the 154 epochs it needs to fit random labels;
  2. raw PyTorch loop: the product's model, batch, precision and GPU-resident uint8 data, one-cycle SGD; and the same
     loop with each whole step replayed as one CUDA graph (the GPU's own time per step, with no Python between kernels);
  3. the same through a fastai `Learner` with PyTorch's SGD: as `run()` builds it (`LeanLearner`, `nn.CrossEntropyLoss`,
     `DeviceLosses`, and on CUDA `GraphStep`: each training step replayed as one CUDA graph), also with the `Memorize`
     measurements; on CUDA also without `GraphStep`; and as fastai builds it by default (`Learner`,
     `CrossEntropyLossFlat`, `Recorder` copying each loss to the host);
  4. the product's `run()`, to 100 % training accuracy, with its memorization measurements, called as a user calls it:
     with the data set's name, so the call reads the data from its cache (`wall_to_fit_s`, `setup_s`; on a CPU `--quick`
     passes its subset instead); on CUDA also with `graph=False` (eager steps).
(`torch.backends.cudnn.benchmark` was measured on an H200 and left off: it sped the eager raw loop 5 % and `run()`'s
CUDA-graph training not at all; bench/results/h200-2026-11-27-quick-v4.json.)
Prints a table and writes JSON (--out). `--quick` keeps it to a few minutes (on a CPU: a small MLP on a 1,000-image subset).

    python bench/memorize.py --data PATH/cifar10 [--quick] [--out bench/results/DEVICE-DATE.json]
"""
import argparse, json, os, platform, statistics, sys, tempfile, time
from pathlib import Path

import numpy as np, torch, torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent)); sys.path.insert(0, str(Path(__file__).resolve().parent))
import randfit_fai
from randfit_fai.data import RandData, get_dataset, subsample, synthetic, _image_files, _cache_file, _load_cache
from randfit_fai.models import create_model
from randfit_fai.callbacks import Memorize
from randfit_fai.engine import DeviceLosses, GraphStep, LeanLearner, capture_graph, sgd_update
from randfit_fai.run import run, recipe_for, sgd, _precision, _use_graph
from fastai.vision.all import Learner, Callback, CrossEntropyLossFlat, nn

REF_EPOCHS = 154  # epochs the reference recipe needs to fit CIFAR-10 random labels


def sync(dev):
    if dev.type == 'cuda': torch.cuda.synchronize()


def reference_epoch(folder, n_train, dev, steps, bs=128):
    "Seconds per epoch of WRN-28-1 fp32, batch 128, per-item PIL loading with 1 worker, random labels"
    from torchvision import datasets, transforms
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])
    ds = datasets.ImageFolder(Path(folder) / 'train', tf)
    ds.targets = list(np.random.default_rng(0).integers(0, len(ds.classes), len(ds)))
    ds.samples = [(p, t) for (p, _), t in zip(ds.samples, ds.targets)]
    dl = torch.utils.data.DataLoader(ds, bs, shuffle=True, num_workers=1, drop_last=True)
    model = create_model('wrn-28-1', len(ds.classes)).to(dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    it, warm, times = iter(dl), 3, []
    for i in range(warm + steps):
        sync(dev); t = time.perf_counter()
        x, y = next(it)
        loss = F.cross_entropy(model(x.to(dev)), y.to(dev))
        opt.zero_grad(); loss.backward(); opt.step()
        sync(dev); times.append(time.perf_counter() - t)
    del it  # stops the worker process before the next measurement
    return statistics.mean(times[warm:]) * (n_train // bs)


def one_cycle(total, lr):
    "Learning rate and momentum at each of `total` steps of PyTorch's `OneCycleLR` (what the raw loops follow)"
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr, momentum=0.9)
    sched, lrs, moms = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=total), [], []
    for _ in range(total):
        lrs.append(opt.param_groups[0]['lr']); moms.append(opt.param_groups[0]['momentum']); opt.step(); sched.step()
    return lrs, moms


def _raw_setup(rd, arch, dev):
    cuda = dev.type == 'cuda'
    x, y = rd.x_train.to(dev), torch.as_tensor(rd.y).to(dev)
    mean, std = rd.mean.to(dev).view(1, -1, 1, 1), rd.std.to(dev).view(1, -1, 1, 1)
    torch.manual_seed(0)
    model = create_model(arch, len(rd.classes), tuple(x.shape[1:])).to(dev)
    if cuda: model = model.to(memory_format=torch.channels_last)
    dtype = torch.bfloat16 if cuda and torch.cuda.is_bf16_supported() else torch.float16
    def batch(b):
        xb = (x[b].float() / 255 - mean) / std
        return (xb.contiguous(memory_format=torch.channels_last) if cuda else xb), y[b]
    return x, model, batch, dtype


def raw_epochs(rd, arch, bs, lr, epochs, dev):
    "Median seconds per training epoch (after the first) of a raw PyTorch loop, same model/batch/precision/data as the product; and the last epoch's mean loss"
    cuda = dev.type == 'cuda'
    x, model, batch, dtype = _raw_setup(rd, arch, dev)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    n = len(x) // bs
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=epochs * n)
    times = []
    for _ in range(epochs):
        sync(dev); t = time.perf_counter()
        perm, total = torch.randperm(len(x), device=dev), torch.zeros((), device=dev)
        for i in range(n):
            xb, yb = batch(perm[i * bs:(i + 1) * bs])
            with torch.autocast(dev.type, dtype=dtype, enabled=cuda):
                loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True); loss.backward(); opt.step(); sched.step()
            total += loss.detach()
        sync(dev); times.append(time.perf_counter() - t)
    return statistics.median(times[1:]), float(total) / n


def graph_epochs(rd, arch, bs, lr, epochs, dev):
    """`raw_epochs` with each whole step (batch gather, forward, backward, SGD with momentum) replayed as one CUDA graph:
    the time the GPU itself needs, with no Python between kernels. Same initial weights, batches and schedule as
    `raw_epochs` (the warm-up steps that capture needs are undone). On a CPU the same step runs eagerly."""
    cuda = dev.type == 'cuda'
    x, model, batch, dtype = _raw_setup(rd, arch, dev)
    params, n = list(model.parameters()), len(x) // bs
    bufs = [torch.zeros_like(p) for p in params]
    lrs, moms = (torch.tensor(v, device=dev) for v in one_cycle(epochs * n, lr))
    k, idx, total = torch.zeros(1, dtype=torch.long, device=dev), torch.zeros(bs, dtype=torch.long, device=dev), torch.zeros((), device=dev)
    def step():
        xb, yb = batch(idx)
        with torch.autocast(dev.type, dtype=dtype, enabled=cuda, cache_enabled=False):
            loss = F.cross_entropy(model(xb), yb)
        sgd_update(params, list(torch.autograd.grad(loss, params)), bufs, lrs.index_select(0, k).squeeze(0), moms.index_select(0, k).squeeze(0))
        k.add_(1); total.add_(loss.detach())
    run_step = capture_graph(step, [*params, *model.buffers(), *bufs, k, total])[0].replay if cuda else step
    times = []
    for _ in range(epochs):
        sync(dev); t = time.perf_counter()
        perm = torch.randperm(len(x), device=dev); total.zero_()
        for i in range(n):
            idx.copy_(perm[i * bs:(i + 1) * bs]); run_step()
        sync(dev); times.append(time.perf_counter() - t)
    return statistics.median(times[1:]), float(total) / n


class TrainTimer(Callback):
    "Seconds of each training phase (no validation), with the device synchronized"
    def before_fit(self): self.times = []
    def before_train(self): sync(self.dls.device); self.t = time.perf_counter()
    def after_train(self): sync(self.dls.device); self.times.append(time.perf_counter() - self.t)


def fastai_epochs(rd, arch, bs, lr, epochs, dev, lean=True, memorize=False, graph=None):
    """Median seconds per training epoch (after the first) through a fastai Learner, PyTorch's SGD as `run()` uses it:
    `lean` builds it as `run()` does (`LeanLearner`, `nn.CrossEntropyLoss`, `DeviceLosses`, `GraphStep` where `graph`,
    by default on CUDA), else as fastai does by default (`Learner`, `CrossEntropyLossFlat`, `Recorder` copying each loss
    to the host); `memorize` adds `Memorize` and times whole epochs (its measurements and the test pass included)"""
    if graph is None: graph = lean and _use_graph(dev)  # as run() decides
    dls = rd.dataloaders(bs=bs, device=dev, channels_last=dev.type == 'cuda')
    torch.manual_seed(0)
    model = create_model(arch, len(rd.classes), tuple(rd.x_train.shape[1:]))
    learn = (LeanLearner(dls, model, loss_func=nn.CrossEntropyLoss(), opt_func=sgd, wd=0., cbs=[TrainTimer(), DeviceLosses()]) if lean else
             Learner(dls, model, loss_func=CrossEntropyLossFlat(), opt_func=sgd, wd=0., cbs=[TrainTimer()]))
    if memorize: learn.add_cb(Memorize(rd, stop_at_fit=False))
    if graph: learn.add_cb(GraphStep())
    _precision(learn, dev)
    with learn.no_bar(), learn.no_logging(): learn.fit_one_cycle(epochs, lr)
    if memorize: return float(np.median(np.diff(learn.memorize.history.time_s)))
    return statistics.median(learn.train_timer.times[1:])


class FitStart(Callback):
    "When training started"
    def before_fit(self): self.t = time.perf_counter()


def machine(dev):
    "Which machine ran a benchmark: the device, the host platform (its kernel release says which sandbox: file system calls cost very differently) and CPUs"
    return dict(device=torch.cuda.get_device_name(dev) if dev.type == 'cuda' else f'cpu ({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads)',
                host=platform.platform(), cpus=os.cpu_count())


def cache_read_parts(path):
    "Seconds of each part of reading a cached image folder: listing the files, the cache key (a stat per file), loading the tensors"
    t0 = time.perf_counter(); files = _image_files(path)
    t1 = time.perf_counter(); fn = _cache_file(path, files, None)
    t2 = time.perf_counter(); _load_cache(fn)
    return dict(list=t1 - t0, key=t2 - t1, read=time.perf_counter() - t2)


def timed_run(data, ds, recipe, dev, prefix='', reference_fit_s=None, **kwargs):
    """`run()` on random labels to 100 % training accuracy, and its timings and results as a dict with keys `prefix`+...:
    `time_to_fit_s` counts from the start of training (run()'s own clock), `wall_to_fit_s` from the call (set-up included:
    with `ds=None`, run() reads the data from its cache), `setup_s` from the call to the start of training,
    `run_wall_s` the whole call (writing the plot and summary included); with `reference_fit_s`, the speedups over it"""
    cuda = dev.type == 'cuda'
    if cuda: torch.cuda.reset_peak_memory_stats(dev)
    t, start = time.perf_counter(), FitStart()
    r = run(data, corrupt=1.0, data=ds, out=tempfile.mkdtemp(), quiet=True, device=dev, cbs=start, **{k: recipe[k] for k in ('arch', 'bs', 'lr', 'epochs')}, **kwargs)
    s, h = r.summary, r.history
    out = dict(run_wall_s=time.perf_counter() - t, time_to_fit_s=s['fit_time_s'], fit_epoch=s['fit_epoch'],
               wall_to_fit_s=start.t - t + s['fit_time_s'] if s['fit_time_s'] is not None else None, setup_s=start.t - t,
               final_train_acc=s['final_train_acc'], final_test_acc=s['final_test_acc'],
               run_epoch_s=float(np.median(np.diff(h.time_s))) if len(h) > 1 else None,
               # median seconds per epoch: training, test pass, full-training-set pass
               run_phase_s={k: float(h[k].iloc[1:].median()) for k in ('train_s', 'test_s', 'memorize_s')} if len(h) > 1 else None)
    if cuda: out['peak_gpu_mem_gib'] = torch.cuda.max_memory_allocated(dev) / 2**30
    for k, q in (('time_to_fit_s', ''), ('wall_to_fit_s', 'wall_')):
        if reference_fit_s and out[k]: out[q + 'speedup_vs_reference'] = reference_fit_s / out[k]
    return r, {prefix + k: v for k, v in out.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--data', default='cifar10', help='CIFAR-10 folder in fastai layout, or a registered dataset name')
    p.add_argument('--quick', action='store_true', help='a few minutes: fewer steps/epochs; on a CPU a 1,000-image subset and an MLP')
    p.add_argument('--out', help='write the results as JSON here')
    p.add_argument('--device', default=None)
    p.add_argument('--epochs', type=int, default=None, help="run()'s epoch budget (default: its recipe)")
    p.add_argument('--eager', action='store_true', help="run() and the Learner as run() builds it with eager steps (graph=False)")
    p.add_argument('--epoch-cost', action='store_true', help='only the per-epoch comparisons, on 50,000 synthetic CIFAR-shaped images')
    a = p.parse_args()
    dev = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    cuda = dev.type == 'cuda'
    res = dict(**machine(dev), torch=torch.__version__, randfit_fai=randfit_fai.__version__, date=time.strftime('%Y-%m-%d'), quick=a.quick)
    t = time.perf_counter()
    ds = synthetic(50000, 10000) if a.epoch_cost else get_dataset(a.data)
    res['load_s'] = time.perf_counter() - t
    if not a.epoch_cost: t = time.perf_counter(); ds = get_dataset(a.data); res['load_cached_s'] = time.perf_counter() - t
    folder = Path(a.data) if Path(a.data).is_dir() and not a.epoch_cost else None  # real images: cache parts and reference
    if folder: res['load_cached_parts_s'] = cache_read_parts(folder)
    small = a.quick and not cuda
    if small: ds = subsample(ds, min(1000, len(ds.x_train)))
    rd = RandData(ds, corrupt=1.0, seed=0)
    recipe = recipe_for(tuple(ds.x_train.shape[1:]), len(ds.x_train), device=dev)
    if small: recipe.update(arch='mlp-1x512', bs=64, lr=0.01, epochs=40)
    if a.epochs: recipe['epochs'] = a.epochs
    res.update(recipe=recipe, n_train=len(ds.x_train), n_test=len(ds.x_test))
    print(f"device {res['device']}, torch {res['torch']}, {res['n_train']} training images, recipe {recipe}", flush=True)

    if folder:
        res['reference_epoch_s'] = reference_epoch(folder, len(ds.x_train), dev, steps=2 if small else (20 if a.quick else 60))
        res['reference_fit_s'] = res['reference_epoch_s'] * REF_EPOCHS
        print(f"reference epoch {res['reference_epoch_s']:.2f} s", flush=True)
    n_ep, args = 4 if a.quick else 6, (rd, recipe['arch'], recipe['bs'], recipe['lr'])
    g = False if a.eager else None  # GraphStep as run() decides, or eager steps
    def attempt(key, f, *fa, **fkw):  # a measurement that may fail on some device: the error is recorded, the rest runs
        try: return f(*fa, **fkw)
        except Exception as e: res.setdefault('errors', []).append(f'{key}: {type(e).__name__}: {e}'); print(res['errors'][-1], flush=True)
    def measure(key, what, f, *fa, **fkw):
        if (v := attempt(key, f, *fa, **fkw)) is not None: res[key] = v; print(f"{what} {v:.3f} s", flush=True)
    def save():
        if a.out: Path(a.out).parent.mkdir(parents=True, exist_ok=True); Path(a.out).write_text(json.dumps(res, indent=1, default=float))
    # the ratio that matters, raw loop vs fastai as run() builds it, measured in alternating rounds (drifts hit both alike)
    raw_r, fastai_r = [], []
    for _ in range(2):
        (t, loss), f = raw_epochs(*args, n_ep, dev), fastai_epochs(*args, n_ep, dev, graph=g)
        raw_r.append(t); fastai_r.append(f)
    res.update(raw_epoch_s=statistics.mean(raw_r), fastai_epoch_s=statistics.mean(fastai_r), raw_rounds_epoch_s=raw_r,
               fastai_rounds_epoch_s=fastai_r, raw_last_epoch_loss=loss, fastai_vs_raw_epoch_ratio=statistics.mean(fastai_r) / statistics.mean(raw_r))
    print(f"raw epoch {res['raw_epoch_s']:.3f} s, fastai epoch as run() builds it {res['fastai_epoch_s']:.3f} s", flush=True)
    if (out := attempt('raw_graph_epoch_s', graph_epochs, *args, n_ep, dev)) is not None:
        res['raw_graph_epoch_s'], res['raw_graph_last_epoch_loss'] = out
        res['raw_graph_captured'] = cuda
        print(f"raw epoch, each step one CUDA graph {res['raw_graph_epoch_s']:.3f} s (captured: {cuda})", flush=True)
    if cuda and not a.eager:
        measure('fastai_eager_epoch_s', 'fastai epoch as run() builds it, without GraphStep', fastai_epochs, *args, n_ep, dev, graph=False)
    measure('fastai_default_epoch_s', 'fastai epoch as fastai builds it by default', fastai_epochs, *args, n_ep, dev, lean=False)
    measure('fastai_memorize_epoch_s', 'fastai epoch as run() builds it + Memorize measurements and test pass', fastai_epochs, *args, n_ep, dev, memorize=True, graph=g)
    for k, base in (('fastai_eager', 'raw'), ('fastai_default', 'raw'), ('fastai', 'raw_graph')):
        if res.get(k + '_epoch_s') and res.get(base + '_epoch_s'): res[f'{k}_vs_{base}_epoch_ratio'] = res[k + '_epoch_s'] / res[base + '_epoch_s']
    if a.epoch_cost:
        for k in ('raw_graph_epoch_s', 'fastai_default_epoch_s', 'fastai_eager_epoch_s', 'fastai_epoch_s', 'fastai_memorize_epoch_s'):
            if k in res: print(f"{k:30s} {res[k]:.3f} s  ({res[k] / res['raw_epoch_s']:.2f}x raw {res['raw_epoch_s']:.3f} s)")
        save()
        return res

    run_ds = ds if small else None  # the whole data set: run() reads it from the cache, as a user's call does
    r, out = timed_run(a.data, run_ds, recipe, dev, reference_fit_s=res.get('reference_fit_s'), graph=g)
    res.update(out, graph=r.summary['graph'], corrupt_frac_realized=r.summary['corrupt_frac_realized'], precision=r.summary['precision'],
               history=r.history.to_dict(orient='list'))
    save()
    if cuda and not a.eager:
        if (out := attempt('eager_run', timed_run, a.data, run_ds, recipe, dev, 'eager_', res.get('reference_fit_s'), graph=False)) is not None: res.update(out[1])

    rows = [('device', res['device']), ('data set read again from its cache, s', res.get('load_cached_s')),
            ('  of which listing / cache key (a stat per file) / reading the tensors, s', tuple(res['load_cached_parts_s'].values()) if 'load_cached_parts_s' in res else None),
            ('reference epoch (WRN-28-1 fp32, bs 128, PIL, 1 worker)', res.get('reference_epoch_s')),
            (f'reference to fit ({REF_EPOCHS} epochs, extrapolated)', res.get('reference_fit_s')),
            ('raw loop epoch', res['raw_epoch_s']),
            ('raw loop epoch, each step one CUDA graph', res.get('raw_graph_epoch_s')),
            (f"fastai Learner epoch, as run() builds it (GraphStep: {res['graph']})", res['fastai_epoch_s']),
            ('fastai Learner epoch, as run() builds it without GraphStep', res.get('fastai_eager_epoch_s')),
            ("fastai Learner epoch, fastai's defaults (Learner, CrossEntropyLossFlat, Recorder)", res.get('fastai_default_epoch_s')),
            ('fastai Learner epoch + Memorize measurements and test pass', res.get('fastai_memorize_epoch_s')),
            ('fastai (as run() builds it) / raw eager epoch', res['fastai_vs_raw_epoch_ratio']),
            ('fastai (as run() builds it) / raw CUDA-graph epoch', res.get('fastai_vs_raw_graph_epoch_ratio')),
            ('fastai without GraphStep / raw eager epoch', res.get('fastai_eager_vs_raw_epoch_ratio'))]
    for p, what in (('', 'run()'), ('eager_', 'run(graph=False)')):
        if res.get(p + 'fit_epoch') is None and res.get(p + 'final_train_acc') is None: continue
        rows += [(f'{what} epoch incl. memorization measurements', res.get(p + 'run_epoch_s')),
                 (f'{what} epoch: training / test pass / memorization pass, s', res.get(p + 'run_phase_s')),
                 (f'{what} time to 100% train acc (from the start of training), s', res.get(p + 'time_to_fit_s')),
                 (f'{what} time to 100% train acc (from the call: set-up included), s', res.get(p + 'wall_to_fit_s')),
                 (f'{what} set-up: from the call to the start of training, s', res.get(p + 'setup_s')), (f'{what} fit epoch', res.get(p + 'fit_epoch')),
                 (f'{what} speedup vs reference (from the start of training / from the call)', (res.get(p + 'speedup_vs_reference'), res.get(p + 'wall_speedup_vs_reference'))), (f'{what} final train acc', res.get(p + 'final_train_acc')),
                 (f'{what} final test acc', res.get(p + 'final_test_acc')), (f'{what} peak GPU memory, GiB', res.get(p + 'peak_gpu_mem_gib'))]
    rows.append(('errors', '; '.join(res.get('errors', [])) or None))
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else ' / '.join(map(fmt, v)) if isinstance(v, tuple) else str(v)
    for k, v in rows: print(f"{k:80s} {fmt(v)}")
    save()
    return res


if __name__ == '__main__':
    main()
