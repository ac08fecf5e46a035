"Command lines: randfit, randfit-sweep; messages, not tracebacks"
import argparse, dataclasses, inspect, json, subprocess, sys
from pathlib import Path
import pytest
from fastcore.script import anno_parser
from randfit_fai.config import RunConfig, UNRECORDED
from randfit_fai.cli import randfit, randfit_sweep
from randfit_fai.training import run


def option(f):
    "The command-line option of setting `f`, as fastcore's call_parse names it"
    return f"--{'no-' * (f.default is True)}{f.name.replace('_', '-')}"


def test_cli(tmp_path):
    h = subprocess.run(['randfit', '--help'], capture_output=True, text=True, check=True).stdout
    for f in dataclasses.fields(RunConfig):
        if f.name not in ('name', 'quiet'): assert option(f) in h, f.name
    assert '--full' in h and '--eager' in h  # stop_at_fit=False, graph=False
    r = subprocess.run(['randfit', '--epochs', '2', '--out', str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'digits-mlp-1x512-p1-s0' in r.stdout and len(list(tmp_path.iterdir())) == 2
    bad = subprocess.run(['randfit', '--corrupt', '0.5', '2', '--out', str(tmp_path / 'x')], capture_output=True, text=True)
    assert bad.returncode != 0 and '2.0' in bad.stderr and not (tmp_path / 'x').exists()


def test_cli_subset_and_not_fitted(tmp_path):
    r = subprocess.run(['randfit', '--subset', '300', '--corrupt', '1', '--epochs', '2', '--out', str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'digits-n300-mlp-1x512-p1-s0' in r.stdout and ' NO ' in r.stdout and 'did not reach 100 % train accuracy' in r.stdout
    s = json.loads((tmp_path / 'digits-n300-mlp-1x512-p1-s0' / 'summary.json').read_text())
    assert (s['n_train'], s['fitted'], s['steps_per_epoch']) == (300, False, 300 // 16)


def test_ctrl_c_in_the_cli_says_how_to_resume(tmp_path):
    "Ctrl-C during a run (here raised from inside it, so the test does not race the signal): one line, exit 130, no traceback"
    code = ("import sys, randfit_fai.cli as m\n"
            "def interrupted(*a, **k): raise KeyboardInterrupt\n"
            "m.run = interrupted; m.randfit(out=sys.argv[1])")
    p = subprocess.run([sys.executable, '-c', code, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 130 and 'Traceback' not in p.stderr and p.stderr.strip().splitlines()[-1].startswith('randfit: interrupted'), p.stderr
    assert '--resume' in p.stderr


def test_randfit_threads_option(tmp_path):
    bad = subprocess.run(['randfit', '--threads', '0', '--out', str(tmp_path / 'runs')], capture_output=True, text=True)
    assert bad.returncode == 1 and 'threads must be an integer >= 1, got 0' in bad.stderr and 'Traceback' not in bad.stderr
    assert not (tmp_path / 'runs').exists()
    subprocess.run(['randfit', '--threads', '2', '--epochs', '1', '--corrupt', '1', '--out', str(tmp_path / 'runs')], check=True,
                   capture_output=True)
    assert json.loads((tmp_path / 'runs' / 'digits-mlp-1x512-p1-s0' / 'summary.json').read_text())['threads'] == 2


def test_the_command_lines_run_and_the_record_cover_the_same_settings(tmp_path):
    "Each setting is defined once, in RunConfig: randfit and randfit-sweep offer the command-line ones, run() takes them all"
    fields = {f.name: f for f in dataclasses.fields(RunConfig)}
    own = {'pdb', 'xtra', 'full', 'eager'}
    on_cli = set(vars(anno_parser(randfit).parse_args([]))) - own
    assert on_cli == set(fields) - {'name', 'quiet'}
    assert set(inspect.signature(run).parameters) - {'data', 'cbs', 'prepared'} == set(fields)
    sweep_opts = set(vars(anno_parser(randfit_sweep).parse_args([]))) - own
    assert sweep_opts == on_cli - {'resume', 'overwrite'} | {'cluster', 'cpus_per_run', 'redo'}  # a sweep always resumes
    sweep_help = subprocess.run(['randfit-sweep', '--help'], capture_output=True, text=True, check=True).stdout
    for n in on_cli - {'resume', 'overwrite'}: assert option(fields[n]) in sweep_help, n
    r = run('digits', corrupt=1.0, epochs=1, out=tmp_path, quiet=True)
    recorded = set(fields) - set(UNRECORDED)
    assert recorded <= set(r.summary['config']), recorded - set(r.summary['config'])
    derived = {'data_sha1', 'data_sha256', 'subset_sha1', 'labels_sha1', 'version', 'results_version'}
    assert set(r.summary['config']) == recorded | derived


def test_sigterm_ends_a_run_with_the_ctrl_c_line_and_it_resumes(tmp_path):
    "A scheduler's SIGTERM: one line saying how to resume, no traceback; the same command with --resume finishes the run"
    import signal, time
    cmd = ['randfit', '--corrupt', '1', '--epochs', '40', '--full', '--out', str(tmp_path)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    csv, t0 = tmp_path / 'digits-mlp-1x512-p1-s0' / 'history.csv', time.time()
    while p.poll() is None and time.time() - t0 < 120 and not (csv.exists() and len(csv.read_text().splitlines()) > 2):
        time.sleep(0.01)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 128 + signal.SIGTERM and 'Traceback' not in err, err
    assert err.strip().splitlines()[-1].startswith('randfit: interrupted') and '--resume' in err
    done = subprocess.run(cmd + ['--resume'], capture_output=True, text=True)
    assert done.returncode == 0 and json.loads((csv.parent / 'summary.json').read_text())['epochs_run'] == 40
