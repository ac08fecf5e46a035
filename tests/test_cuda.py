"GPU code paths, run on the CPU too: mixed precision, channels_last, device-resident batches, resume, graph steps (the `cuda` cases need a GPU)"
from functools import partial
import pytest, torch
from fastai.vision.all import Learner, Callback, SGD, CrossEntropyLossFlat
from fastai.callback.fp16 import MixedPrecision
from randfit_fai.paper import RandData, create_model, Memorize
from randfit_fai.data import synthetic
from randfit_fai.engine import DeviceLosses, tensor_dataloaders, set_precision
from randfit_fai.training import run

# each test runs its code path on the CPU in every CI run; the `cuda` case adds what only a GPU can check
DEVICES = ['cpu', pytest.param('cuda', marks=pytest.mark.cuda)]
# a CPU case forces bf16, so that the mixed-precision path runs here as it does on a GPU
CPU = dict(precision='bf16')


def _kw(device): return dict(device=device, **(CPU if device == 'cpu' else {}))


@pytest.mark.parametrize('device', DEVICES)
def test_wrn_mixed_precision_one_epoch(device):
    rd = RandData(synthetic(n_train=1024 if device == 'cuda' else 128, n_test=256 if device == 'cuda' else 32), corrupt=1.0)
    dls = tensor_dataloaders(rd, bs=256 if device == 'cuda' else 32, device=device, channels_last=True)
    seen = {}
    class Probe(Callback):
        order = MixedPrecision.order + 1
        def after_pred(self):
            on = torch.is_autocast_enabled(device)
            seen['autocast'] = torch.get_autocast_dtype(device) if on else None
            seen['x_device'], seen['x_cl'] = self.xb[0].device.type, self.xb[0].is_contiguous(memory_format=torch.channels_last)
    arch = 'wrn-16-4' if device == 'cuda' else 'wrn-10-1'
    learn = Learner(dls, create_model(arch, 10).to(device), loss_func=CrossEntropyLossFlat(), opt_func=partial(SGD, mom=0.9),
                    cbs=[DeviceLosses(), Probe(), Memorize(rd)])
    prec = set_precision(learn, torch.device(device), 'bf16')
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 0.05)
    assert prec in ('bf16', 'fp16') and seen['autocast'] == {'bf16': torch.bfloat16, 'fp16': torch.float16}[prec]
    assert seen['x_device'] == device and seen['x_cl']
    assert all(p.dtype == torch.float32 for p in learn.model.parameters())
    h = learn.memorize.history
    assert len(h) == 1 and 0 <= h.train_acc[0] <= 1 and h.train_loss.notna().all()


@pytest.mark.parametrize('device', DEVICES)
def test_run_on_device(tmp_path, device):
    r = run('synthetic', corrupt=1.0, arch='wrn-10-2', epochs=2, out=tmp_path, quiet=True, subset=None if device == 'cuda' else 256,
            **_kw(device))
    assert r.summary['precision'] in ('bf16', 'fp16') and (r.summary['device'] == 'cpu') == (device == 'cpu')
    assert abs(r.summary['corrupt_frac_realized'] - 0.9) < 0.06


@pytest.mark.parametrize('device', DEVICES)
def test_paper_recipe_augment_and_resume(tmp_path, disconnect_after, device):
    small = {} if device == 'cuda' else dict(subset=256)
    r = run('synthetic', corrupt=1.0, recipe='paper', arch='alexnet', epochs=2, augment=True, out=tmp_path, quiet=True, **small,
            **_kw(device))
    assert r.summary['precision'] in ('bf16', 'fp16') and r.summary['epochs_run'] >= 1
    DisconnectAfter, Disconnect = disconnect_after
    kw = dict(corrupt=0.5, arch='wrn-10-2', epochs=4, stop_at_fit=False, out=tmp_path / 'resume', quiet=True, **small, **_kw(device))
    with pytest.raises(Disconnect): run('synthetic', name='cut', cbs=DisconnectAfter(2), **kw)
    resumed = run('synthetic', name='cut', resume=True, **kw)
    assert resumed.summary['resumed_at_epoch'] == 2 and list(resumed.history.epoch) == [1, 2, 3, 4]


@pytest.mark.parametrize('device', DEVICES)
def test_graph_step(tmp_path, device):
    "run()'s default on CUDA, each training step one CUDA graph, trains like fastai's own bf16 step (test_sync.py: with no host sync in its epochs); on a CPU it steps eagerly"
    small = {} if device == 'cuda' else dict(subset=256)
    kw = dict(corrupt=0., arch='wrn-10-2', bs=128 if device == 'cuda' else 32, epochs=3, stop_at_fit=False, out=tmp_path, quiet=True,
              **small, **_kw(device))
    a, b = run('synthetic', name='eager', graph=False, **kw), run('synthetic', name='graph', graph=True, **kw)
    assert b.summary['graph'] and not a.summary['graph']
    a, b = a.history, b.history
    assert b.step.tolist() == a.step.tolist()
    assert (abs(b.train_loss - a.train_loss) < 0.05 * a.train_loss + 0.01).all(), (a.train_loss.tolist(), b.train_loss.tolist())
    assert (abs(b.train_acc - a.train_acc) < 0.05).all(), (a.train_acc.tolist(), b.train_acc.tolist())
