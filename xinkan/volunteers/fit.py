"""Which volunteer skills fit which kind of need: one table, used by matching and by the pairing
form (which warns when the chosen volunteer's skills do not fit)."""

from __future__ import annotations

from xinkan.residents.models import NeedType
from xinkan.volunteers.models import Skill

# For each kind of need, the skills that fit it, best first.
NEED_SKILLS: dict[str, tuple[str, ...]] = {
    NeedType.DAILY_CARE: (Skill.COMPANIONSHIP, Skill.ERRANDS, Skill.MEDICAL),
    NeedType.MEDICAL: (Skill.MEDICAL,),
    NeedType.REPAIRS: (Skill.REPAIRS,),
    NeedType.ERRANDS: (Skill.ERRANDS, Skill.COMPANIONSHIP),
    NeedType.COMPANIONSHIP: (Skill.COMPANIONSHIP, Skill.COUNSELLING),
    NeedType.COUNSELLING: (Skill.COUNSELLING,),
    NeedType.TUTORING: (Skill.TUTORING,),
    NeedType.LEGAL: (Skill.LEGAL,),
    NeedType.HARDSHIP: (Skill.ERRANDS, Skill.OTHER),
    NeedType.OTHER: (Skill.OTHER, Skill.ERRANDS, Skill.COMPANIONSHIP),
}


def fitting_skills(need_type: str) -> tuple[str, ...]:
    return NEED_SKILLS.get(need_type, (Skill.OTHER,))


def skill_fit(need_type: str, skills: list[str] | tuple[str, ...]) -> int:
    """0 when no skill fits; otherwise higher for a better fit (the first listed skill is best)."""
    wanted = fitting_skills(need_type)
    best = 0
    for rank, skill in enumerate(wanted):
        if skill in skills:
            best = max(best, len(wanted) - rank)
    return best
