"Every measured percentage a lesson's prose states comes from an output on its page, the paper, or a committed result"
import json, re
from pathlib import Path
import pytest
from randfit_fai.sweeps import PAPER_TABLE1

ROOT = Path(__file__).parent.parent
LESSONS = sorted((ROOT / 'nbs' / 'course').glob('[0-9]*.ipynb'))
PCT = re.compile(r'(?<![\d.])(\d+\.\d+) ?%')  # a percentage with decimals: a measured number, not a round one
NUM = re.compile(r'-?\d+(?:\.\d+)?(?:e-?\d+)?')
# the paper's numbers the lessons quote beyond Table 1 (ImageNet §2.1, §3; §5): ../shared/paper-facts.md
PAPER = {95.20, 59.80, 80.38, 72.95, 1.2, 0.6, 85.75, 82.00}


def _text(cell):
    "All the text a code cell's outputs show"
    out = []
    for o in cell.get('outputs', []):
        out.append(''.join(o.get('text', '')))
        for k in ('text/plain', 'text/html', 'text/markdown'): out.append(''.join(o.get('data', {}).get(k, '')))
    return '\n'.join(out)


def _numbers(text):
    return [float(m) for m in NUM.findall(text)]


def _bench_numbers(text):
    "Every number in the committed results that `text` names (`bench/results/<name>.json`, or `bench_result('<name>')`)"
    nums = []
    def walk(v):
        if isinstance(v, (int, float)) and not isinstance(v, bool): nums.append(float(v))
        elif isinstance(v, dict): [walk(x) for x in v.values()]
        elif isinstance(v, list): [walk(x) for x in v]
    for f in (ROOT / 'bench' / 'results').glob('*.json'):
        if f.name in text: walk(json.loads(f.read_text()))
    return nums


def sourced(value: str, numbers) -> bool:
    "Whether percentage `value` (as written) is one of `numbers`, as a fraction or in percent, to its decimals"
    v, tol = float(value), 0.5 * 10 ** -len(value.split('.')[1]) + 1e-9
    return any(abs(x * 100 - v) <= tol or abs(x - v) <= tol for x in numbers)


def unsourced(nb: Path) -> list:
    "The decimal percentages in `nb`'s markdown that no output, paper number or committed result it names gives"
    cells = json.loads(nb.read_text())['cells']
    outs = _numbers('\n'.join(_text(c) for c in cells if c['cell_type'] == 'code'))
    table = PAPER_TABLE1[['paper_train_acc', 'paper_test_acc']].to_numpy().ravel().tolist()
    numbers = outs + table + sorted(PAPER) + _bench_numbers(nb.read_text())
    return [m for c in cells if c['cell_type'] == 'markdown' for m in PCT.findall(''.join(c['source']))
            if not sourced(m, numbers)]


def test_sourced_matches_as_written():
    assert sourced('10.2', [0.1015]) and sourced('35.8', [0.3575]) and sourced('52.39', [52.39])
    assert not sourced('10.3', [0.1015]) and not sourced('2.45', [0.0254])


def test_unsourced_finds_a_number_no_output_gives(tmp_path):
    nb = dict(cells=[dict(cell_type='code', source=['x'], outputs=[dict(output_type='stream', text=['0.1015'])]),
                     dict(cell_type='markdown', source=['tests at 10.2 %, then 13.7 %, and 100 %'])])
    (tmp_path / 'l.ipynb').write_text(json.dumps(nb))
    assert unsourced(tmp_path / 'l.ipynb') == ['13.7']


@pytest.mark.parametrize('nb', LESSONS, ids=lambda p: p.stem)
def test_lesson_prose_numbers_are_sourced(nb):
    assert unsourced(nb) == []
