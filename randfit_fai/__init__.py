__version__ = "0.3.0"
# Bumped whenever a change alters what runs compute (their histories): the lessons' saved outputs record the value
# they were made with (tools/run_lessons.py), and tests/test_course.py asks for them to be made again when it moves.
RESULTS_VERSION = 1

import warnings
warnings.filterwarnings('ignore', message=r'`torch\.jit\.script` is deprecated')

from .data import RandData, get_dataset, corrupt_labels, randomize_pixels
from .models import create_model, count_params
from .config import RunConfig
from .callbacks import Memorize
from .files import RunResult, load_run
from .training import run
from .sweeps import sweep, figure_1, table1
