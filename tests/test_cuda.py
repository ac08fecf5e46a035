"GPU checks: mixed precision, channels_last, GPU-resident batches (run where CUDA exists; skipped elsewhere)"
from functools import partial
import pytest, torch
from fastai.vision.all import Learner, Callback, SGD, CrossEntropyLossFlat
from fastai.callback.fp16 import MixedPrecision
from randfit_fai.paper import RandData
from randfit_fai.data import synthetic
from randfit_fai.paper import create_model
from randfit_fai.engine import DeviceLosses, tensor_dataloaders
from randfit_fai.paper import Memorize
from randfit_fai.training import run
from randfit_fai.engine import set_precision


@pytest.mark.cuda
def test_wrn_mixed_precision_one_epoch():
    rd = RandData(synthetic(n_train=1024, n_test=256), corrupt=1.0)
    dls = tensor_dataloaders(rd, bs=256, device='cuda', channels_last=True)
    seen = {}
    class Probe(Callback):
        order = MixedPrecision.order + 1
        def after_pred(self):
            seen['autocast'] = torch.get_autocast_dtype('cuda') if torch.is_autocast_enabled('cuda') else None
            seen['x_device'], seen['x_cl'] = self.xb[0].device.type, self.xb[0].is_contiguous(memory_format=torch.channels_last)
    learn = Learner(dls, create_model('wrn-16-4', 10), loss_func=CrossEntropyLossFlat(), opt_func=partial(SGD, mom=0.9),
                    cbs=[DeviceLosses(), Probe(), Memorize(rd, stop_at_fit=False)])
    prec = set_precision(learn, torch.device('cuda'))
    with learn.no_bar(), learn.no_logging(): learn.fit(1, 0.05)
    assert prec in ('bf16', 'fp16') and seen['autocast'] == {'bf16': torch.bfloat16, 'fp16': torch.float16}[prec]
    assert seen['x_device'] == 'cuda' and seen['x_cl']
    assert all(p.dtype == torch.float32 for p in learn.model.parameters())
    h = learn.memorize.history
    assert len(h) == 1 and 0 <= h.train_acc[0] <= 1 and h.train_loss.notna().all()


@pytest.mark.cuda
def test_run_on_gpu(tmp_path):
    r = run('synthetic', corrupt=1.0, arch='wrn-10-2', epochs=2, out=tmp_path, quiet=True, device='cuda')
    assert r.summary['precision'] in ('bf16', 'fp16') and r.summary['device'] != 'cpu'
    assert abs(r.summary['corrupt_frac_realized'] - 0.9) < 0.06


@pytest.mark.cuda
def test_paper_recipe_augment_and_resume_on_gpu(tmp_path, disconnect_after):
    r = run('synthetic', corrupt=1.0, recipe='paper', arch='alexnet', epochs=2, augment=True, out=tmp_path, quiet=True, device='cuda')
    assert r.summary['precision'] in ('bf16', 'fp16') and r.summary['epochs_run'] >= 1
    DisconnectAfter, Disconnect = disconnect_after
    kw = dict(corrupt=0.5, arch='wrn-10-2', epochs=4, stop_at_fit=False, out=tmp_path / 'resume', quiet=True, device='cuda')
    with pytest.raises(Disconnect): run('synthetic', name='cut', cbs=DisconnectAfter(2), **kw)
    resumed = run('synthetic', name='cut', resume=True, **kw)
    assert resumed.summary['resumed_at_epoch'] == 2 and list(resumed.history.epoch) == [1, 2, 3, 4]


@pytest.mark.cuda
def test_graph_step_on_gpu(tmp_path):
    "run()'s default on CUDA, each training step one CUDA graph, trains like fastai's own bf16 step (test_sync.py: with no host sync in its epochs)"
    kw = dict(corrupt=0., arch='wrn-10-2', bs=128, epochs=3, stop_at_fit=False, out=tmp_path, quiet=True, device='cuda')
    a, b = run('synthetic', name='eager', graph=False, **kw), run('synthetic', name='graph', **kw)
    assert b.summary['graph'] and not a.summary['graph']
    a, b = a.history, b.history
    assert b.step.tolist() == a.step.tolist()
    assert (abs(b.train_loss - a.train_loss) < 0.05 * a.train_loss + 0.01).all(), (a.train_loss.tolist(), b.train_loss.tolist())
    assert (abs(b.train_acc - a.train_acc) < 0.05).all(), (a.train_acc.tolist(), b.train_acc.tolist())
