"Run configuration: every setting checked by name before any work; numpy numbers accepted"
import json, subprocess
import numpy as np, pytest, torch
from randfit_fai.training import run


def test_numpy_numbers_are_accepted_and_saved(tmp_path):
    r = run('digits', corrupt=np.float32(0.5), epochs=np.int64(1), seed=np.int64(3), lr=np.float64(0.05), out=tmp_path, quiet=True)
    s = json.loads((r.path / 'summary.json').read_text())
    assert (s['corrupt'], s['epochs'], s['seed'], s['lr']) == (0.5, 1, 3, 0.05)


@pytest.mark.parametrize('kw,msg', [(dict(name='../outside'), 'name'), (dict(name='/abs'), 'name'), (dict(seed=-1), 'seed'),
    (dict(lr=float('inf')), 'lr'), (dict(arch='mlp-1x0'), 'mlp-1x0'), (dict(arch='wrn-16-0'), 'wrn-16-0'), (dict(size=0), 'size')])
def test_more_bad_input_writes_nothing(tmp_path, kw, msg):
    with pytest.raises(ValueError, match=msg): run('digits', out=tmp_path / 'runs', quiet=True, **kw)
    assert not (tmp_path / 'runs').exists() and not (tmp_path / 'outside').exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the message where there is no GPU')
def test_cuda_without_gpu_is_refused_up_front(tmp_path):
    with pytest.raises(ValueError, match='no CUDA GPU'): run('digits', device='cuda', out=tmp_path / 'runs', quiet=True)
    assert not (tmp_path / 'runs').exists()
    cli = subprocess.run(['randfit', '--device', 'cuda', '--out', str(tmp_path / 'cli')], capture_output=True, text=True)
    assert cli.returncode != 0 and 'no CUDA GPU' in cli.stderr and 'Traceback' not in cli.stderr


@pytest.mark.parametrize('kw,err,msg', [
    (dict(corrupt=1.5), ValueError, '1.5'), (dict(corrupt=-0.1), ValueError, '-0.1'), (dict(corrupt='half'), ValueError, "'half'"),
    (dict(corrupt=float('nan')), ValueError, 'nan'), (dict(dataset='imagenet'), ValueError, 'cifar10'),
    (dict(dataset='/no/such/dir'), FileNotFoundError, '/no/such/dir'), (dict(epochs=0), ValueError, 'epochs'),
    (dict(arch='resnet50'), ValueError, 'resnet50'), (dict(randomize='noise'), ValueError, "'noise'"),
])
def test_bad_input_writes_nothing(tmp_path, kw, err, msg):
    out = tmp_path / 'runs'
    with pytest.raises(err, match=msg.replace('.', r'\.').replace('/', '/')): run(out=out, quiet=True, **kw)
    assert not out.exists()


def test_an_out_that_is_a_file_or_read_only_is_refused_by_name(tmp_path, monkeypatch):
    f = tmp_path / 'a-file'
    f.write_text('')
    with pytest.raises(ValueError, match="out .*a-file' is a file, not a folder"): run('digits', out=f, quiet=True)
    cli = subprocess.run(['randfit', '--out', str(f)], capture_output=True, text=True)
    assert cli.returncode != 0 and 'is a file, not a folder' in cli.stderr and 'Traceback' not in cli.stderr
    import os
    real = os.statvfs
    class ReadOnly:
        def __init__(self, st): self.st = st
        def __getattr__(self, k): return getattr(self.st, k)
        f_flag = os.ST_RDONLY
    monkeypatch.setattr(os, 'statvfs', lambda p: ReadOnly(real(p)))
    with pytest.raises(ValueError, match='on a read-only file system'): run('digits', out=tmp_path / 'runs', quiet=True)
    assert not (tmp_path / 'runs').exists()


@pytest.mark.parametrize('arch', ['wrn-16-4-dropx', 'wrn-16-4-drop0.3.3', 'mlp-2xwide', 'wrn-16'])
def test_a_malformed_arch_is_refused_by_name(tmp_path, arch):
    with pytest.raises(ValueError, match=f"unknown arch '{arch}'"): run('digits', arch=arch, out=tmp_path / 'runs')
    assert not (tmp_path / 'runs').exists()


def test_a_dataset_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / 'images.zip'
    f.write_bytes(b'PK')
    with pytest.raises(ValueError, match='is a file, not a folder'): run(str(f), out=tmp_path / 'runs')
    cli = subprocess.run(['randfit', '--dataset', str(f), '--out', str(tmp_path / 'cli')], capture_output=True, text=True)
    assert cli.returncode != 0 and 'is a file, not a folder' in cli.stderr and 'Traceback' not in cli.stderr
    assert not (tmp_path / 'runs').exists() and not (tmp_path / 'cli').exists()
