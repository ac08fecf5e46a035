"Defaults that memorize anywhere: recipes adapted to the data's size, family and device; subsets; honest endings; long-run warning"
import json, subprocess, sys, time
from pathlib import Path
import numpy as np, pytest, torch
from fastai.vision.all import Callback, CancelFitException
from randfit_fai.data import digits, get_dataset, ImageSet
from randfit_fai.run import run, recipe_for, MIN_STEPS

RUN = sys.modules['randfit_fai.run']  # the module (randfit_fai.run is also the function)


@pytest.mark.parametrize('shape,n,arch,device', [((3, 32, 32), 512, None, 'cpu'), ((3, 32, 32), 512, None, 'cuda'),
    ((3, 32, 32), 3000, None, 'cuda'), ((3, 32, 32), 3000, 'mlp-1x512', 'cpu'), ((1, 8, 8), 1437, None, 'cpu'),
    ((3, 32, 32), 50_000, None, 'cuda'), ((1, 28, 28), 10, 'alexnet', 'cpu')])
def test_default_batch_leaves_enough_steps(shape, n, arch, device):
    r = recipe_for(shape, n, arch, device)
    assert n // r['bs'] >= min(MIN_STEPS, n), r
    assert n % r['bs'] / n <= 1 / MIN_STEPS, 'at most a sixteenth of the images dropped in an epoch (a different one each epoch)'


def test_synthetic_default_trains_and_reports_honestly(tmp_path):
    "The default network on 512 synthetic CIFAR-shaped images: 16 steps an epoch (not zero), and a 1-epoch run says it did not fit"
    r = run('synthetic', corrupt=1.0, epochs=1, device='cpu', out=tmp_path, quiet=True)
    s = r.summary
    assert (s['arch'], s['bs'], s['steps_per_epoch']) == ('wrn-16-4', 32, 16)
    assert s['fitted'] is False and s['final_train_acc'] < 1 and 'epochs' in s['hint']
    assert 'NOT fitted' in repr(r) and s['hint'] in repr(r)
    assert json.loads((r.path / 'summary.json').read_text())['fitted'] is False


def test_random_labels_fit_with_defaults_on_synthetic_mlp(tmp_path):
    r = run('synthetic', corrupt=1.0, arch='mlp-1x512', device='cpu', out=tmp_path, quiet=True)
    s = r.summary
    assert s['fitted'] and s['final_train_acc'] == 1.0 and s['hint'] is None and 'fit at epoch' in repr(r)


def test_identical_images_with_different_labels_count_as_fitted_at_the_ceiling(tmp_path):
    "Two identical images labelled differently: no network fits both, so the run fits at (n-1)/n and says why"
    d = digits(); x = d.x_train.clone(); x[1] = x[0]; y = d.y_train.copy(); y[1] = (y[0] + 1) % 10
    ds = ImageSet(x, y, d.x_test, d.y_test, d.classes, name='digits-dup')
    r = run(data=ds, arch='mlp-1x512', device='cpu', out=tmp_path, quiet=True)
    s = r.summary
    assert s['fit_ceiling'] == (len(y) - 1) / len(y) and s['fitted'] and s['final_train_acc'] == pytest.approx(s['fit_ceiling'])
    assert 'identical images carry different labels' in repr(r)


def test_batch_larger_than_training_set_is_refused(tmp_path):
    with pytest.raises(ValueError, match=r'bs=1024 is larger than the 512 training images'):
        run('synthetic', arch='mlp-1x512', bs=1024, out=tmp_path / 'runs', quiet=True)
    with pytest.raises(ValueError, match=r'bs=600 is larger than the 500 training images'):
        run('digits', subset=500, bs=600, out=tmp_path / 'runs', quiet=True)
    assert not (tmp_path / 'runs').exists()
    cli = subprocess.run(['randfit', '--arch', 'mlp-1x512', '--bs', '2000', '--out', str(tmp_path / 'cli')], capture_output=True, text=True)
    assert cli.returncode != 0 and 'bs=2000' in cli.stderr and 'Traceback' not in cli.stderr and not (tmp_path / 'cli').exists()


def test_subset_is_stratified_seeded_and_recorded(tmp_path):
    kw = dict(corrupt=1.0, epochs=1, out=tmp_path, quiet=True)
    a, b, c = run('digits', subset=400, **kw), run('digits', subset=400, **kw), run('digits', subset=400, seed=1, **kw)
    s = a.summary
    assert (s['n_train'], s['n_test'], s['subset'], s['test_subset']) == (400, 360, 400, None) and 'digits-n400-' in a.path.name
    assert s['subset_sha1'] == b.summary['subset_sha1'] != c.summary['subset_sha1'] and s['labels_sha1'] == b.summary['labels_sha1']
    t = run('digits', subset=400, test_subset=100, **kw).summary
    assert (t['n_train'], t['n_test']) == (400, 100) and t['subset_sha1'] != s['subset_sha1']
    assert run('digits', **kw).summary['subset_sha1'] is None
    for bad, msg in ((dict(subset=5000), '5000'), (dict(subset=0), 'subset'), (dict(test_subset=2.5), 'test_subset'), (dict(subset=True), 'subset')):
        with pytest.raises(ValueError, match=msg): run('digits', out=tmp_path / 'bad', quiet=True, **bad)
    assert not (tmp_path / 'bad').exists()


def test_long_run_warning_and_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(RUN, 'LONG_RUN_S', 1e-3)
    r = run('digits', corrupt=1.0, epochs=2, out=tmp_path, quiet=True)
    said = [l for l in capsys.readouterr().out.splitlines() if l.startswith('randfit:')]
    assert len(said) == 1 and 'projected' in said[0] and 'a GPU' in said[0], said
    assert 0 < r.summary['projected_s'] < 600
    monkeypatch.setattr(RUN, 'LONG_RUN_S', 600)
    run('digits', corrupt=1.0, epochs=2, out=tmp_path, quiet=True)
    assert 'projected' not in capsys.readouterr().out


def test_cli_subset_and_not_fitted(tmp_path):
    r = subprocess.run(['randfit', '--subset', '300', '--corrupt', '1', '--epochs', '2', '--out', str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'digits-n300-mlp-1x512-p1-s0' in r.stdout and ' NO ' in r.stdout and 'did not reach 100 % train accuracy' in r.stdout
    s = json.loads((tmp_path / 'digits-n300-mlp-1x512-p1-s0' / 'summary.json').read_text())
    assert (s['n_train'], s['fitted'], s['steps_per_epoch']) == (300, False, 300 // 16)


FOLDERS = dict(cifar10='cifar10', cifar100='cifar100', mnist='mnist_png')


@pytest.mark.slow
@pytest.mark.parametrize('arch', ['mlp-1x512', 'mlp-3x512', 'alexnet', 'wrn-10-1'])
@pytest.mark.parametrize('name', list(FOLDERS))
def test_random_labels_fit_with_defaults_on_real_subsets(real_root, tmp_path, name, arch):
    "1,000 real training images, random labels, nothing but arch and subset given: 100 % train, test at chance (3σ)"
    r = run(str(real_root / FOLDERS[name]), corrupt=1.0, arch=arch, subset=1000, test_subset=2000, out=tmp_path, quiet=True, device='cpu')
    s = r.summary
    chance = 1 / s['n_classes']
    assert s['fitted'] and s['final_train_acc'] == pytest.approx(s['fit_ceiling']) and s['fit_ceiling'] > 0.99, repr(r)
    assert abs(s['final_test_acc'] - chance) <= 3 * np.sqrt(chance * (1 - chance) / s['n_test']), repr(r)


@pytest.mark.slow
def test_full_cifar100_on_cpu_warns_in_the_first_minute(real_root, tmp_path):
    "The promised call, run('cifar100', corrupt=1.0), on a CPU: one line within a minute of the start of training"
    seen = {}
    class StopWhenProjected(Callback):
        order = 100
        def before_fit(self): seen['t0'] = time.perf_counter()
        def after_batch(self):
            if self.learn.projected_s is not None: seen['t'] = time.perf_counter() - seen['t0']; raise CancelFitException()
    r = run(str(real_root / 'cifar100'), corrupt=1.0, device='cpu', out=tmp_path, quiet=True, cbs=StopWhenProjected())
    assert r.summary['projected_s'] > 3600 and seen['t'] < 60, (r.summary['projected_s'], seen)
    assert r.summary['fitted'] is False


@pytest.mark.cuda
@pytest.mark.slow
@pytest.mark.parametrize('name', ['cifar10', 'cifar100'])
def test_full_cifar_fits_with_defaults_on_gpu(real_root, tmp_path, name):
    r = run(str(real_root / name), corrupt=1.0, out=tmp_path, quiet=True, device='cuda')
    s = r.summary
    chance = 1 / s['n_classes']
    assert s['fitted'] and abs(s['final_test_acc'] - chance) <= 3 * np.sqrt(chance * (1 - chance) / s['n_test']), repr(r)


def test_divergence_stops_the_run(tmp_path, capsys):
    r = run('digits', corrupt=1.0, lr=1e6, epochs=5, out=tmp_path, quiet=True)
    s = r.summary
    assert s['diverged'] and not s['fitted'] and s['epochs_run'] < 5 and 'lower lr' in s['hint']
    assert 'diverged and was stopped' in capsys.readouterr().out


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


def test_ctrl_c_in_the_cli_says_how_to_resume(tmp_path):
    "Ctrl-C during a run (here raised from inside it, so the test does not race the signal): one line, exit 130, no traceback"
    code = ("import sys; import randfit_fai.run; m = sys.modules['randfit_fai.run']\n"
            "def interrupted(*a, **k): raise KeyboardInterrupt\n"
            "m.run = interrupted; sys.argv = ['randfit', '--out', sys.argv[1]]; m.randfit()")
    p = subprocess.run([sys.executable, '-c', code, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 130 and 'Traceback' not in p.stderr and p.stderr.strip().splitlines()[-1].startswith('randfit: interrupted'), p.stderr
    assert '--resume' in p.stderr


def test_a_cpu_run_chooses_its_threads_records_them_and_restores_pytorchs(tmp_path):
    "The digits MLP has too little work per step for two threads: it trains with one; threads= overrides; PyTorch's count is restored"
    before = torch.get_num_threads()
    kw = dict(corrupt=1.0, epochs=2, stop_at_fit=False, device='cpu', out=tmp_path, quiet=True)
    assert run('digits', name='chosen', **kw).summary['threads'] == 1
    assert run('digits', name='two', threads=2, **kw).summary['threads'] == 2
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match='threads must be an integer >= 1, got 0'): run('digits', name='bad', threads=0, **kw)
    assert not (tmp_path / 'bad').exists()


def test_the_thread_rule(monkeypatch):
    "One thread for a small step; for a large one every core but one, or what OMP_NUM_THREADS (a user, Ray) set"
    mlp, wrn = RUN.step_mflops('mlp-1x512', 10, (1, 8, 8), 64), RUN.step_mflops('wrn-16-4', 10, (3, 32, 32), 32)
    assert mlp < RUN.THREADS_MIN_MFLOPS < wrn
    monkeypatch.delenv('OMP_NUM_THREADS', raising=False)
    with RUN.num_threads(4): assert (RUN.cpu_threads(mlp), RUN.cpu_threads(wrn)) == (1, 3)
    with RUN.num_threads(2): assert RUN.cpu_threads(wrn) == 1
    monkeypatch.setenv('OMP_NUM_THREADS', '4')
    with RUN.num_threads(4): assert (RUN.cpu_threads(mlp), RUN.cpu_threads(wrn)) == (1, 4)


def test_randfit_threads_option(tmp_path):
    bad = subprocess.run(['randfit', '--threads', '0', '--out', str(tmp_path / 'runs')], capture_output=True, text=True)
    assert bad.returncode == 1 and 'threads must be an integer >= 1, got 0' in bad.stderr and 'Traceback' not in bad.stderr
    assert not (tmp_path / 'runs').exists()
    subprocess.run(['randfit', '--threads', '2', '--epochs', '1', '--corrupt', '1', '--out', str(tmp_path / 'runs')], check=True,
                   capture_output=True)
    assert json.loads((tmp_path / 'runs' / 'digits-mlp-1x512-p1-s0' / 'summary.json').read_text())['threads'] == 2


class _FakeLearner:
    "What `_precision` touches of a `Learner`, recording the calls"
    def __init__(self, conv=False): self.model, self.calls = torch.nn.Conv2d(3, 3, 1) if conv else torch.nn.Linear(2, 2), []
    def to_bf16(self): self.calls.append('bf16')
    def to_fp16(self): self.calls.append('fp16')
    def add_cb(self, cb): self.calls.append(type(cb).__name__)


@pytest.mark.parametrize('native', [False, True], ids=['T4 (7.5, bf16 emulated)', 'A100/H100/H200 (8.0+)'])
def test_precision_and_graph_steps_follow_native_bf16(monkeypatch, native):
    "A T4 reports bf16 as supported through emulation: it gets fp16 with loss scaling and eager steps, not bf16 and graphs"
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda including_emulation=True: native or including_emulation)
    monkeypatch.setattr(torch.cuda, 'get_device_name', lambda device=None: 'Tesla T4' if not native else 'NVIDIA H200')
    cuda = torch.device('cuda')
    assert RUN.native_bf16(cuda) is native and RUN._use_graph(cuda) is native
    learn = _FakeLearner(conv=True)
    assert RUN._precision(learn, cuda) == ('bf16' if native else 'fp16')
    assert learn.calls == ['bf16' if native else 'fp16', 'ChannelsLast']
    if not native:
        with pytest.raises(ValueError, match='graph=True needs native bf16, which Tesla T4 lacks'): RUN._use_graph(cuda, True)
    assert RUN._precision(_FakeLearner(), torch.device('cpu')) == 'fp32' and not RUN.native_bf16('cpu')


def test_sweep_passes_threads_and_refuses_a_bad_count_before_any_work(tmp_path):
    from randfit_fai.sweep import sweep
    with pytest.raises(ValueError, match='threads must be an integer >= 1, got 0'):
        sweep('digits', corrupts=(0.,), threads=0, epochs=1, out=tmp_path / 'bad')
    assert not (tmp_path / 'bad').exists()
    bad = subprocess.run(['randfit-sweep', '--threads', '0', '--out', str(tmp_path / 'cli')], capture_output=True, text=True)
    assert bad.returncode == 1 and 'threads must be an integer >= 1, got 0' in bad.stderr and not (tmp_path / 'cli').exists()
    df = sweep('digits', corrupts=(1.,), threads=2, epochs=1, stop_at_fit=False, out=tmp_path / 'ok')
    assert json.loads((Path(df.path.iloc[0]) / 'summary.json').read_text())['threads'] == 2
