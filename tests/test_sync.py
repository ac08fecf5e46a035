"No host sync per batch: once training runs, `run()` never waits for the device inside an epoch"
from pathlib import Path
import traceback
import pytest, torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves
from torch.utils.weak import WeakTensorKeyDictionary
from fastai.vision.all import Callback
from randfit_fai.data import synthetic
from randfit_fai.training import run


class HostReads(TorchDispatchMode):
    "Count host reads (`item`, `bool`, `float`, `tolist`, `numpy`, `cpu`) of values computed from the model or the data"
    def __init__(self, seeds):
        super().__init__()
        self.device_values, self.where = WeakTensorKeyDictionary(), []
        for t in seeds: self.device_values[t] = True
    def mark(self, what, t):
        if isinstance(t, torch.Tensor) and t in self.device_values:
            self.where.append(f"{what}: " + ' < '.join(f'{f.name} ({Path(f.filename).name}:{f.lineno})'
                                                         for f in traceback.extract_stack()[-8:-2][::-1]))
    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        ins = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
        if func is torch.ops.aten._local_scalar_dense.default: self.mark(func, ins[0])
        out = func(*args, **(kwargs or {}))
        if any(t in self.device_values for t in ins):  # what is computed from device values lives on the device
            for t in tree_leaves(out):
                if isinstance(t, torch.Tensor): self.device_values[t] = True
        return out


class TrainWindow(Callback):
    "Watch from the start of the second training batch to the end of the training phase: every later step and batch fetch"
    order, on = -100, False  # first at `before_batch`; at `after_train`, before `Recorder` reads the phase's losses
    def before_batch(self):  # (the first batch moves the running losses' starting zeros to the device: once per fit)
        if self.training and self.iter == 1 and not self.on: self.start(); self.on = True
    def after_train(self):
        if self.on: self.stop(); self.on = False


class Window(TrainWindow):
    "Host reads of values computed from the model or the data, inside the window"
    def __init__(self, monkeypatch): self.mp, self.reads = monkeypatch, []
    def start(self):
        dl = self.dls.train
        self.mode = m = HostReads([*self.model.parameters(), *self.model.buffers(), dl.xs, dl.ys])
        for name in ('tolist', 'numpy', 'cpu'):  # host reads that bypass the dispatcher on CPU tensors
            orig = getattr(torch.Tensor, name)
            self.mp.setattr(torch.Tensor, name, lambda t, *a, _o=orig, _n=name, **k: (m.mark(_n, t), _o(t, *a, **k))[1])
        m.__enter__()
    def stop(self):
        self.mode.__exit__(None, None, None); self.mp.undo()
        self.reads += self.mode.where


class SyncError(TrainWindow):
    "Any synchronizing CUDA call inside the window raises (CUDA's own check)"
    def start(self): torch.cuda.set_sync_debug_mode('error')
    def stop(self): torch.cuda.set_sync_debug_mode('default')


def test_no_host_read_per_batch(tmp_path, monkeypatch):
    "The training epochs of `run()` (data, step, schedule, recording) never read a value computed on the device"
    w = Window(monkeypatch)
    run('synthetic', data=synthetic(n_train=1024, n_test=128, shape=(3, 8, 8)), corrupt=1.0, arch='wrn-10-1', bs=128, epochs=2,
        stop_at_fit=False, out=tmp_path, quiet=True, device='cpu', cbs=w)
    assert w.reads == [], w.reads[:3]


def test_the_check_sees_fastais_per_batch_reads(tmp_path, monkeypatch):
    "fastai's stock `Recorder` copies every batch's loss to the host: the same check catches it"
    from randfit_fai.engine import DeviceLosses
    monkeypatch.setattr(DeviceLosses, 'before_fit', lambda self: None)
    w = Window(monkeypatch)
    run('synthetic', data=synthetic(n_train=1024, n_test=128, shape=(3, 8, 8)), corrupt=1.0, arch='wrn-10-1', bs=128, epochs=1,
        stop_at_fit=False, out=tmp_path, quiet=True, device='cpu', cbs=w)
    assert len(w.reads) >= 7 and any('accumulate' in r for r in w.reads)


@pytest.mark.cuda
@pytest.mark.parametrize('graph', [False, True], ids=['eager', 'GraphStep'])
def test_no_cuda_sync_per_batch(tmp_path, graph):
    "On a GPU, checked by CUDA itself; eager steps and run()'s default, each step one CUDA graph"
    try: run('synthetic', corrupt=1.0, arch='wrn-10-2', bs=128, epochs=2, stop_at_fit=False, out=tmp_path, quiet=True,
             device='cuda', graph=graph, cbs=SyncError())
    finally: torch.cuda.set_sync_debug_mode('default')
