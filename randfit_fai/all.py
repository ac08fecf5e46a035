"Every public name of randfit_fai, for `from randfit_fai.all import *` (as fastai's `all` modules)"
from .paper import *
from .data import *
from .recipes import *
from .config import *
from .callbacks import *
from .files import *
from .engine import *
from .training import *
from .sweeps import *
from .cli import *
from .theory import *
from .course import *
