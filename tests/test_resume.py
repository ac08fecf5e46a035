"A run killed with SIGKILL at several points resumes to the same labels and history as an uninterrupted run"
import json, os, signal, subprocess, sys, time
import pandas as pd
from randfit_fai.run import run

SCRIPT = ("import sys; from randfit_fai.run import run; "
          "run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=sys.argv[1], name='r', resume=True)")


def kill_after_rows(out, k):
    "Start the run, SIGKILL it once history.csv has at least `k` rows; return the CSV text it left"
    csv = out / 'r' / 'history.csv'
    p = subprocess.Popen([sys.executable, '-c', SCRIPT, str(out)])
    t0 = time.time()
    while p.poll() is None and time.time() - t0 < 120:
        if csv.exists() and len(csv.read_text().splitlines()) > k: break
        time.sleep(0.002)
    os.kill(p.pid, signal.SIGKILL); p.wait()
    return csv.read_text()


def test_resume_after_sigkill(tmp_path):
    ref = run('digits', corrupt=0.5, epochs=30, stop_at_fit=False, quiet=True, out=tmp_path / 'ref', name='r')
    out = tmp_path / 'killed'
    before = [kill_after_rows(out, k) for k in (2, 9, 20)]
    assert not (out / 'r' / 'summary.json').exists(), 'the kills must land before the run finished'
    subprocess.run([sys.executable, '-c', SCRIPT, str(out)], check=True)
    final = (out / 'r' / 'history.csv').read_text()
    for text in before:
        assert final.startswith(text), 'rows written before a kill are kept byte for byte'
    s = json.loads((out / 'r' / 'summary.json').read_text())
    assert s['labels_sha1'] == ref.summary['labels_sha1'] and s['resumed_at_epoch'] >= 20
    h = pd.read_csv(out / 'r' / 'history.csv')
    cols = [c for c in h.columns if not c.endswith('_s')]  # all but the timings
    assert len(h) == 30 and (h[cols].values == ref.history[cols].values).all(), 'the resumed run trains exactly as the uninterrupted one'
