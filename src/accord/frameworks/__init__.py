"""Policy packs, the crosswalk, the universal floor, verdicts, divergence.

Pure: no network, no database. Packs are YAML data validated by ``Pack``; ``score`` turns a
``LabelTable`` (one run's labelled responses) into one ``PackVerdict`` per pack;
``deployment_matrix`` and ``divergence`` compare across targets and packs. The hazard
taxonomy (``Taxonomy``, ``Hazard``, ``load_taxonomy``) and ``interval`` come from the shared
base (``accord.taxonomy``, ``accord.stats``) and are re-exported here for pack authors.
"""

from accord.frameworks._attack_success import (
    AnyAttack,
    AttackCell,
    AttackRow,
    AttackSuccess,
    LanguageGap,
    LocaleGap,
    LocaleRefusal,
    attack_names,
    attack_rows,
    cluster_rate,
    format_attack_success,
    language_gap,
    measure_attacks,
    newcombe_paired,
)
from accord.frameworks._correct import LabelRates, rates_from_confusion
from accord.frameworks._correct import weakest as weakest_rates
from accord.frameworks._deploy import DeploymentCell, DeploymentMatrix, deployment_matrix
from accord.frameworks._divergence import Divergence, divergence, hazard_pack_rates
from accord.frameworks._engine import JudgeError, ailuminate_gradable, ailuminate_grade, score, units_needed
from accord.frameworks._load import (
    FLOOR_ID,
    ResolvedPack,
    builtin_pack_ids,
    load_crosswalk,
    load_floor,
    load_pack,
    parse_pack,
    resolve,
)
from accord.frameworks._schema import Pack, Requirement
from accord.frameworks._table import LabelTable, position_readings
from accord.frameworks._taxonomy import Crosswalk, CrosswalkRow
from accord.frameworks._validate import PackProblem, check_pack_text
from accord.frameworks._verdict import FloorCellResult, FloorResult, PackVerdict, Reason, RequirementResult
from accord.stats import interval
from accord.taxonomy import Hazard, Taxonomy, load_taxonomy

__all__ = [
    "FLOOR_ID",
    "AnyAttack",
    "AttackCell",
    "AttackRow",
    "AttackSuccess",
    "LanguageGap",
    "LocaleGap",
    "LocaleRefusal",
    "attack_names",
    "attack_rows",
    "cluster_rate",
    "format_attack_success",
    "language_gap",
    "measure_attacks",
    "newcombe_paired",
    "Crosswalk",
    "CrosswalkRow",
    "DeploymentCell",
    "DeploymentMatrix",
    "Divergence",
    "FloorCellResult",
    "FloorResult",
    "JudgeError",
    "LabelRates",
    "Hazard",
    "LabelTable",
    "Pack",
    "PackProblem",
    "PackVerdict",
    "Reason",
    "Requirement",
    "RequirementResult",
    "ResolvedPack",
    "Taxonomy",
    "ailuminate_gradable",
    "ailuminate_grade",
    "builtin_pack_ids",
    "check_pack_text",
    "deployment_matrix",
    "divergence",
    "hazard_pack_rates",
    "interval",
    "load_crosswalk",
    "load_floor",
    "load_pack",
    "load_taxonomy",
    "parse_pack",
    "position_readings",
    "rates_from_confusion",
    "resolve",
    "score",
    "units_needed",
    "weakest_rates",
]
