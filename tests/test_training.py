"Training: defaults that memorize anywhere, subsets, honest endings, threads, the paper's recipe, regularizers"
import json, subprocess, time
import randfit_fai
import numpy as np, pytest, torch
from fastai.vision.all import Callback, CancelFitException
from randfit_fai.paper import ImageSet
from randfit_fai.data import digits, get_dataset
from randfit_fai.paper import create_model, count_params
from randfit_fai.training import run
from conftest import as_written_by


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


def test_a_cpu_run_chooses_its_threads_records_them_and_restores_pytorchs(tmp_path):
    "The digits MLP has too little work per step for two threads: it trains with one; threads= overrides; PyTorch's count is restored"
    before = torch.get_num_threads()
    kw = dict(corrupt=1.0, epochs=2, stop_at_fit=False, device='cpu', out=tmp_path, quiet=True)
    assert run('digits', name='chosen', **kw).summary['threads'] == 1
    assert run('digits', name='two', threads=2, **kw).summary['threads'] == 2
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match='threads must be an integer >= 1, got 0'): run('digits', name='bad', threads=0, **kw)
    assert not (tmp_path / 'bad').exists()


def test_paper_recipe_on_cifar_shaped_data(tmp_path):
    r = run('synthetic', corrupt=1.0, recipe='paper', arch='alexnet', epochs=2, out=tmp_path, quiet=True, stop_at_fit=False)
    s = r.summary
    assert (s['recipe'], s['lr'], s['bs'], s['epochs_run']) == ('paper', 0.005, 32, 2), "the paper's lr scaled to the batch 512 images allow"
    assert s['n_params'] == count_params(create_model('alexnet', 10, (3, 28, 28)))
    assert 'paper' in r.path.name


def test_weight_decay_and_augment_reach_the_optimizer_and_loader(tmp_path):
    r = run('digits', corrupt=0., wd=5e-4, augment=True, epochs=2, out=tmp_path, quiet=True)
    assert r.summary['wd'] == 5e-4 and r.summary['augment'] and r.path.name.endswith('-wd0.0005-aug-s0')


def test_a_learning_rate_too_high_gets_a_hint_about_the_learning_rate(tmp_path):
    "A training loss that stays finite far above a uniform guess's: the hint names the lr, not more epochs"
    r = run('digits', corrupt=1.0, lr=50, epochs=4, out=tmp_path, quiet=True)
    assert not r.summary['diverged'] and 'lr=50 is too high' in r.summary['hint'], r.summary['hint']
    w = run('synthetic', corrupt=1.0, arch='wrn-10-1', lr=1e6, epochs=1, subset=128, out=tmp_path, quiet=True)
    assert 'lr=1e+06 is too high' in w.summary['hint'], w.summary['hint']


def test_a_name_too_long_for_the_file_system_is_refused_before_any_work(tmp_path):
    with pytest.raises(ValueError, match='pass a shorter name='):
        run('digits', name='x' * 300, out=tmp_path / 'runs', quiet=True)
    assert not (tmp_path / 'runs').exists()


def test_a_finished_run_of_another_version_is_read_back_with_a_note(tmp_path):
    "The package version is recorded, not compared: an upgrade does not strand results"
    kw = dict(corrupt=1.0, epochs=2, quiet=True, out=tmp_path, name='r')
    first = run('digits', **kw)
    as_written_by(first.path, '0.2.0', drop_results_version=True)  # a 0.2 folder
    with pytest.warns(UserWarning, match=r'written by randfit_fai 0\.2\.0'):
        again = run('digits', resume=True, **kw)
    assert again.history.equals(first.history) and again.summary['version'] == '0.2.0'


def test_a_folder_of_0_1_is_started_again_with_resume_and_overwrite(tmp_path):
    "0.1 wrote no seals: such a folder is refused with what to do, and resume=True, overwrite=True starts it again"
    folder = tmp_path / 'r'
    folder.mkdir()
    (folder / 'summary.json').write_text(json.dumps(dict(dataset='digits', fit_epoch=3)))
    kw = dict(corrupt=1.0, epochs=2, quiet=True, out=tmp_path, name='r', resume=True)
    with pytest.raises(ValueError, match='randfit_fai 0.1'): run('digits', **kw)
    r = run('digits', overwrite=True, **kw)
    assert r.summary['epochs_run'] == 2 and r.summary['version'] == randfit_fai.__version__
