"""Helpers the benchmarks share: the machine, the reference recipe, raw PyTorch loops, fastai `Learner` epochs, a timed
`run()`, a busy competing process. Each benchmark script beside this one states its own claim."""
import contextlib, json, os, platform, statistics, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np, torch, torch.nn.functional as F
from fastai.vision.all import Learner, Callback, CrossEntropyLossFlat, nn
from randfit_fai.paper import create_model, Memorize, sgd
from randfit_fai.engine import (DeviceLosses, GraphStep, LeanLearner, capture_graph, sgd_update, set_precision, use_graph,
                                tensor_dataloaders)
from randfit_fai.training import run

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


def raw_setup(rd, arch, dev):
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
    x, model, batch, dtype = raw_setup(rd, arch, dev)
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
    x, model, batch, dtype = raw_setup(rd, arch, dev)
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
    if graph is None: graph = lean and use_graph(dev)  # as run() decides
    dls = tensor_dataloaders(rd, bs=bs, device=dev, channels_last=dev.type == 'cuda')
    torch.manual_seed(0)
    model = create_model(arch, len(rd.classes), tuple(rd.x_train.shape[1:]))
    learn = (LeanLearner(dls, model, loss_func=nn.CrossEntropyLoss(), opt_func=sgd, wd=0., cbs=[TrainTimer(), DeviceLosses()]) if lean else
             Learner(dls, model, loss_func=CrossEntropyLossFlat(), opt_func=sgd, wd=0., cbs=[TrainTimer()]))
    if memorize: learn.add_cb(Memorize(rd))
    if graph: learn.add_cb(GraphStep())
    set_precision(learn, dev)
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


@contextlib.contextmanager
def busy(on:bool):
    "One process spinning on a core while the block runs (a student's browser, a second run)"
    p = subprocess.Popen([sys.executable, '-c', 'while True: pass']) if on else None
    try: yield
    finally:
        if p: p.kill(); p.wait()


def save_json(res, out):
    "Write the results `res` as JSON to `out` (if given), its folder made as needed"
    if not out: return
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(res, indent=1, default=float))


def attempt(res, key, f, *args, **kwargs):
    "`f(*args, **kwargs)`, or None with the error recorded in `res['errors']`: a measurement some device cannot make"
    try: return f(*args, **kwargs)
    except Exception as e:
        res.setdefault('errors', []).append(f'{key}: {type(e).__name__}: {e}')
        print(res['errors'][-1], flush=True)
