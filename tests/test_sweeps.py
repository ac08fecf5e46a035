"Sweeps: sequential and on Ray (killed tasks retried, driver storage, failing cells reported)"
import json, os, signal, subprocess, sys
from pathlib import Path
import pandas as pd, pytest
from fastai.vision.all import Callback
from randfit_fai.sweeps import sweep
from conftest import as_written_by


ray = pytest.importorskip('ray')


ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the callbacks below travel to the workers by value


KW = dict(corrupts=(0., 1.), epochs=4, stop_at_fit=False)


TIMING = ('time_s', 'train_s', 'test_s', 'memorize_s')


@pytest.fixture(scope='module')
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


class DieOnce(Callback):
    "SIGKILL this process at the end of epoch `at`, once (the first cell to get there), after its checkpoint is written"
    order = 100
    def __init__(self, marker, at): self.marker, self.at = str(marker), at
    def after_epoch(self):
        if self.epoch + 1 == self.at and not os.path.exists(self.marker):
            open(self.marker, 'w').close(); os.kill(os.getpid(), signal.SIGKILL)


class FailRandomLabels(Callback):
    def before_fit(self):
        if self.learn.memorize.data.corrupt == 1.: raise RuntimeError('this cell fails')


def _same(a, b):
    "The two sweeps' histories agree, timings aside, to float tolerance (a Ray worker runs with its own thread count)"
    for pa, pb in zip(a.path, b.path):
        ha, hb = pd.read_csv(f'{pa}/history.csv'), pd.read_csv(f'{pb}/history.csv')
        cols = [c for c in ha.columns if c not in TIMING]
        pd.testing.assert_frame_equal(ha[cols], hb[cols], check_exact=False, rtol=1e-4)


def test_ray_sweep_gives_the_sequential_rows_and_survives_a_killed_task(local_ray, tmp_path):
    seq = sweep('digits', out=tmp_path / 'seq', **KW)
    par = sweep('digits', out=tmp_path / 'ray', cluster='auto', cbs=DieOnce(tmp_path / 'killed', 2), **KW)
    assert (tmp_path / 'killed').exists(), 'one task was killed'
    assert (par.labels_sha1.values == seq.labels_sha1.values).all() and par.error.isna().all()
    assert sorted(par.resumed_at_epoch.fillna(0).tolist()) == [0, 2], 'the killed cell was retried and resumed from its epoch-2 checkpoint'
    _same(seq, par)
    assert set(par.node) == {os.uname().nodename} and (par.device == 'cpu').all()


def test_driver_storage_writes_the_run_folders_on_the_driver_and_reads_them_back(local_ray, tmp_path):
    "`out` local to the driver: each task runs in a folder of its own and sends the files back; a killed task restarts"
    from randfit_fai.files import load_run
    df = sweep('digits', out=tmp_path / 'drv', cluster='auto', storage='driver', cbs=DieOnce(tmp_path / 'killed', 2), **KW)
    assert (tmp_path / 'killed').exists() and df.error.isna().all() and df.resumed_at_epoch.isna().all()
    for p in df.path:
        r = load_run(p)  # verified against the SHA-256s in its summary
        assert str(tmp_path / 'drv') in p and len(r.history) == 4 and (r.path / 'curves.png').exists()
    stamps = {p: os.stat(f'{p}/summary.json').st_mtime_ns for p in df.path}
    again = sweep('digits', out=tmp_path / 'drv', cluster='auto', storage='driver', **KW)
    assert again.path.tolist() == df.path.tolist() and {p: os.stat(f'{p}/summary.json').st_mtime_ns for p in again.path} == stamps


def test_a_failing_cell_is_reported_in_its_row(local_ray, tmp_path):
    df = sweep('digits', out=tmp_path, cluster='auto', cbs=FailRandomLabels(), **KW)
    ok, bad = df.set_index('corrupt').loc[0.], df.set_index('corrupt').loc[1.]
    assert pd.isna(ok.error) and ok.final_train_acc > 0.9 and 'this cell fails' in bad.error


def test_without_ray_cluster_is_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, 'ray', None)
    with pytest.raises(ValueError, match=r'pip install "randfit_fai\[ray\]"'): sweep('digits', out=tmp_path / 'x', cluster='local', **KW)
    assert not (tmp_path / 'x').exists()


def test_the_slurm_example_is_valid_bash():
    import subprocess
    from pathlib import Path
    script = Path(__file__).resolve().parent.parent / 'examples' / 'slurm_sweep.sbatch'
    assert subprocess.run(['bash', '-n', str(script)]).returncode == 0 and 'randfit-sweep' in script.read_text()


def test_sweep_passes_threads_and_refuses_a_bad_count_before_any_work(tmp_path):
    with pytest.raises(ValueError, match='threads must be an integer >= 1, got 0'):
        sweep('digits', corrupts=(0.,), threads=0, epochs=1, out=tmp_path / 'bad')
    assert not (tmp_path / 'bad').exists()
    bad = subprocess.run(['randfit-sweep', '--threads', '0', '--out', str(tmp_path / 'cli')], capture_output=True, text=True)
    assert bad.returncode == 1 and 'threads must be an integer >= 1, got 0' in bad.stderr and not (tmp_path / 'cli').exists()
    df = sweep('digits', corrupts=(1.,), threads=2, epochs=1, stop_at_fit=False, out=tmp_path / 'ok')
    assert json.loads((Path(df.path.iloc[0]) / 'summary.json').read_text())['threads'] == 2


def test_driver_storage_refuses_a_finished_cell_of_another_configuration(local_ray, tmp_path):
    "A second sweep into the same `out` with other epochs: refused before any work, the first results kept; redo=True reruns"
    kw = dict(corrupts=(1.,), stop_at_fit=False, out=tmp_path, cluster='auto', storage='driver')
    first = sweep('digits', epochs=2, **kw)
    before = {p: (Path(p) / 'history.csv').read_bytes() for p in first.path}
    with pytest.raises(ValueError, match='epochs 2 there, 3 asked'): sweep('digits', epochs=3, **kw)
    assert {p: (Path(p) / 'history.csv').read_bytes() for p in first.path} == before
    again = sweep('digits', epochs=3, redo=True, **kw)
    assert list(again.path) == list(first.path) and (again.epochs_run == 3).all()


def test_a_damaged_cells_index_left_by_an_older_sweep_does_not_stop_one(local_ray, tmp_path):
    (tmp_path / 'cells.json').write_text('{"trunc')
    df = sweep('digits', corrupts=(1.,), epochs=1, out=tmp_path, cluster='auto', storage='driver')
    assert df.error.isna().all()


def test_levels_that_differ_past_the_names_precision_get_their_own_folders(tmp_path):
    df = sweep('digits', corrupts=(0.1234561, 0.1234562), epochs=1, out=tmp_path)
    assert df.path.nunique() == 2 and sorted(df.corrupt) == [0.1234561, 0.1234562]


def test_a_sweep_reads_back_finished_cells_written_by_another_version(tmp_path):
    first = sweep('digits', corrupts=(1.,), epochs=2, out=tmp_path)
    as_written_by(Path(first.path[0]), '0.2.0', drop_results_version=True)
    with pytest.warns(UserWarning, match='0.2.0'):
        again = sweep('digits', corrupts=(1.,), epochs=2, out=tmp_path)
    assert again.version[0] == '0.2.0' and again.final_train_acc[0] == first.final_train_acc[0]
