"""Starting and running an import job (the rules are in the package's docstring).

`start_import` records the upload and queues the job; `run_job` (the Celery task, or the command
line) reads the file in batches. Each batch is planned with one lookup per kind of row it touches
(units, households, residents by ID hash, residents by name) and written in one transaction:
bulk inserts and updates, one audit entry per created or changed resident, and the job's progress.
A batch that collides with a concurrent change (a unique key taken meanwhile) is retried row by row.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from xinkan.audit import services as audit
from xinkan.core import bulk
from xinkan.org.models import Unit
from xinkan.org.roles import Perm
from xinkan.org.scope import get_scope
from xinkan.residents.imports.reading import FileProblem, Sheet, open_sheet
from xinkan.residents.imports.rows import Problem, Row, masked, parse_row
from xinkan.residents.models import Household, ImportJob, Resident

if TYPE_CHECKING:
    from xinkan.accounts.models import User

logger = logging.getLogger(__name__)

BATCH_SIZE = 2000
UPDATE_CHUNK = 250  # rows per UPDATE … CASE statement off PostgreSQL (bulk.py)
REPORT_CAP = 5000  # problems kept for the report; the counts stay exact beyond it
MAX_UPLOAD_BYTES = 30 * 1024 * 1024  # about 250,000 rows; larger files go through the command
STALE_AFTER = dt.timedelta(minutes=10)  # a running job without progress for this long is retaken

# What is compared to decide whether a matched resident changes (no decryption needed: the
# personal numbers are compared through their keyed hashes).
_CURRENT = (
    "pk",
    "name",
    "gender",
    "birth_date",
    "address",
    "occupation",
    "relation",
    "unit_id",
    "household_id",
    "id_number_index",
    "phone_index",
    "unit__path",
)
# Attribute → field name (for bulk_update and the audit).
_FIELD_NAMES = {"unit_id": "unit", "household_id": "household"}

Progress = Callable[[ImportJob], None]


def start_import(*, by: User, unit: Unit, file_name: str, content: bytes) -> ImportJob:
    """Keep the upload and queue its import (after the commit, so the worker finds the job)."""
    _require_import(by, unit)
    with transaction.atomic():
        job = _new_job(by, unit, file_name, content=content)
        transaction.on_commit(partial(_enqueue, job.pk))
    return job


def create_local_job(*, by: User, unit: Unit, file_name: str) -> ImportJob:
    """A job for a file read from disk by the command line (the file is never stored)."""
    _require_import(by, unit)
    with transaction.atomic():
        return _new_job(by, unit, file_name, content=None)


def _require_import(by: User, unit: Unit) -> None:
    if not get_scope(by).covers_unit(unit, Perm.RESIDENTS_MANAGE):
        audit.record_failure(actor=by, action="residents.import.denied", unit=unit)
        raise PermissionDenied(_("You may not import residents into this unit."))


def _new_job(by: User, unit: Unit, file_name: str, *, content: bytes | None) -> ImportJob:
    job = ImportJob.objects.create(
        created_by=by,
        unit=unit,
        file_name=Path(file_name).name[:200],
        content=content,
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    audit.record(
        actor=by,
        action="residents.import.queued",
        obj=job,
        unit=unit,
        data={"bytes": len(content) if content is not None else None},
    )
    return job


def _enqueue(job_id: int) -> None:
    from xinkan.residents.tasks import run_import

    run_import.delay(job_id)


def run_job(
    job_id: int,
    *,
    source: Path | None = None,
    progress: Progress | None = None,
    audit_each: bool = True,
) -> ImportJob | None:
    """Run a queued job (or one left running by a worker that died); None when another has it."""
    now = timezone.now()
    claimable = Q(status=ImportJob.Status.QUEUED) | Q(
        status=ImportJob.Status.RUNNING, progress_at__lt=now - STALE_AFTER
    )
    claimed = (
        ImportJob.objects.filter(claimable, pk=job_id).update(
            status=ImportJob.Status.RUNNING,
            started_at=now,
            progress_at=now,
            processed_rows=0,
            created_count=0,
            updated_count=0,
            unchanged_count=0,
            failed_count=0,
        )
        == 1
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("created_by", "unit").get(pk=job_id)
    with translation.override(job.language or settings.LANGUAGE_CODE):
        importer = Importer(job, audit_each=audit_each)
        if not get_scope(job.created_by).covers_unit(job.unit, Perm.RESIDENTS_MANAGE):
            return _finish(job, importer, error=_("You may no longer manage residents here."))
        content = job.content
        job.content = None  # not kept on the object while the rows are read
        try:
            if source is None and content is None:
                raise FileProblem(_("The uploaded file is gone; upload it again."))
            sheet = open_sheet(job.file_name, source or bytes(content or b""))
        except FileProblem as exc:
            return _finish(job, importer, error=str(exc))
        del content
        try:
            importer.run(sheet, progress)
        except FileProblem as exc:
            return _finish(job, importer, error=str(exc))
        except Exception:
            logger.exception("Import job %s stopped after row %s", job.pk, importer.last_line)
            message = _(
                "The import stopped at row %(row)d; the rows before it were saved. "
                "Import the file again."
            ) % {"row": importer.last_line + 1}
            return _finish(job, importer, error=message)
        finally:
            sheet.close()
        return _finish(job, importer, progress=progress)


def _finish(
    job: ImportJob, importer: Importer, *, error: str = "", progress: Progress | None = None
) -> ImportJob:
    job.status = ImportJob.Status.FAILED if error else ImportJob.Status.DONE
    job.error = error[:300]
    job.finished_at = job.progress_at = timezone.now()
    job.content = None
    importer.copy_counts(job)
    job.report = importer.report
    with transaction.atomic():
        job.save()
        audit.record(
            actor=job.created_by,
            action="residents.import.failed" if error else "residents.import.finished",
            obj=job,
            unit=job.unit,
            outcome="failure" if error else "success",
            data={
                "rows": job.processed_rows,
                "created": job.created_count,
                "updated": job.updated_count,
                "unchanged": job.unchanged_count,
                "failed": job.failed_count,
            },
        )
    if progress is not None:
        progress(job)
    return job


@dataclass(slots=True)
class _UnitInfo:
    pk: int
    path: str
    active: bool


@dataclass(slots=True)
class _Household:
    """A household as this import sees it: from the archive, or new in this file."""

    pk: int | None
    unit_id: int
    address: str
    forbidden: bool = False  # in the archive, outside the importer's area
    claimed: bool = False  # a row of this file has set its unit and address
    moved_from: str = ""  # the address it had before this file changed it
    new: Household | None = None  # created by this batch, not yet saved


@dataclass
class _Plan:
    creates: list[Resident] = field(default_factory=list)
    updates: dict[tuple[str, ...], list[Resident]] = field(default_factory=dict)
    unchanged: int = 0
    problems: list[tuple[int, list[Problem]]] = field(default_factory=list)
    new_households: list[Household] = field(default_factory=list)
    household_updates: list[Household] = field(default_factory=list)
    households: dict[str, _Household] = field(default_factory=dict)
    seen_ids: dict[int, int] = field(default_factory=dict)
    seen_names: dict[tuple[str, str], int] = field(default_factory=dict)
    matched: dict[int, int] = field(default_factory=dict)  # resident pk → row


def _id_key(index: str) -> int:
    # 60 bits of the keyed hash: a small int per row instead of a 64-character string.
    return int(index[:15], 16)


class Importer:
    def __init__(self, job: ImportJob, *, audit_each: bool = True) -> None:
        self.job = job
        self.by = job.created_by
        self.base_path = job.unit.path
        self.audit_each = audit_each
        self.units: dict[str, _UnitInfo | None] = {}
        self.households: dict[str, _Household] = {}
        self.seen_ids: dict[int, int] = {}
        self.seen_names: dict[tuple[str, str], int] = {}
        self.created = self.updated = self.unchanged = self.failed = 0
        self.report: list[dict[str, Any]] = []
        self.last_line = 1
        self.total: int | None = None

    # --- The loop ---------------------------------------------------------------------------

    def run(self, sheet: Sheet, progress: Progress | None) -> None:
        self.total = sheet.total
        ImportJob.objects.filter(pk=self.job.pk).update(total_rows=sheet.total)
        batch: list[Row] = []
        read = 0
        for line, record in sheet.rows:
            row, problems = parse_row(line, record)
            if row is None:
                self._fail(line, problems)
            else:
                batch.append(row)
            self.last_line = line
            read += 1
            if read >= BATCH_SIZE:
                self._write(batch)
                self._save_progress(progress)
                batch, read = [], 0
        self._write(batch)
        if self.total is not None:  # empty rows at the end are read too
            self.last_line = max(self.last_line, self.total + 1)

    def _write(self, rows: list[Row]) -> None:
        if not rows:
            return
        try:
            plan = self._plan(rows)
            with transaction.atomic():
                self._apply(plan)
        except IntegrityError:
            # Someone else registered one of these people (or households) meanwhile.
            for row in rows:
                self._write_one(row)
        else:
            self._commit(plan)

    def _write_one(self, row: Row) -> None:
        try:
            plan = self._plan([row])
            with transaction.atomic():
                self._apply(plan)
        except IntegrityError:
            message = _("Changed by someone else at the same time; import the file again.")
            self._fail(row.line, [Problem("", message)])
        else:
            self._commit(plan)

    def _save_progress(self, progress: Progress | None) -> None:
        job = self.job
        self.copy_counts(job)
        job.progress_at = timezone.now()
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=job.processed_rows,
            created_count=job.created_count,
            updated_count=job.updated_count,
            unchanged_count=job.unchanged_count,
            failed_count=job.failed_count,
            progress_at=job.progress_at,
        )
        if progress is not None:
            job.total_rows = self.total
            progress(job)

    def copy_counts(self, job: ImportJob) -> None:
        job.total_rows = self.total if self.total is not None else self.last_line - 1
        job.processed_rows = self.last_line - 1
        job.created_count, job.updated_count = self.created, self.updated
        job.unchanged_count, job.failed_count = self.unchanged, self.failed

    def _fail(self, line: int, problems: list[Problem]) -> None:
        self.failed += 1
        for problem in problems:
            if len(self.report) < REPORT_CAP:
                self.report.append(
                    {
                        "row": line,
                        "column": problem.column,
                        "message": problem.message,
                        "value": problem.value,
                    }
                )

    # --- Lookups ------------------------------------------------------------------------------

    def _load_units(self, codes: Iterable[str]) -> None:
        missing = {code for code in codes if code not in self.units}
        if not missing:
            return
        for pk, code, path, active in (
            Unit.objects.filter(code__in=missing)
            .order_by()
            .values_list("pk", "code", "path", "is_active")
        ):
            self.units[code] = _UnitInfo(pk, path, active)
        for code in missing:
            self.units.setdefault(code, None)

    def _load_households(self, codes: Iterable[str]) -> None:
        missing = {code for code in codes if code and code not in self.households}
        if not missing:
            return
        for pk, code, unit_id, address, path in (
            Household.objects.filter(code__in=missing)
            .order_by()
            .values_list("pk", "code", "unit_id", "address", "unit__path")
        ):
            self.households[code] = _Household(
                pk, unit_id, address, forbidden=not path.startswith(self.base_path)
            )

    def _unit_problem(self, row: Row) -> Problem | None:
        unit = self.units.get(row.unit_code)
        if unit is None:
            return Problem("unit", _("No unit has this code."), row.unit_code)
        if not unit.path.startswith(self.base_path):
            return Problem("unit", _("This unit lies outside your area."), row.unit_code)
        if not unit.active:
            return Problem("unit", _("This unit is no longer active."), row.unit_code)
        return None

    # --- Planning a batch ---------------------------------------------------------------------

    def _plan(self, rows: list[Row]) -> _Plan:
        plan = _Plan()
        self._load_units({row.unit_code for row in rows})
        self._load_households({row.household_code for row in rows})
        indexes = [row.id_index for row in rows if row.id_index]
        by_id = {
            values["id_number_index"]: values
            for values in Resident.objects.filter(id_number_index__in=indexes)
            # Spelled out so that PostgreSQL uses the partial unique index (its condition).
            .exclude(id_number_index="")
            .order_by()
            .values(*_CURRENT)
        }
        by_name = self._by_name([row for row in rows if row.id_index not in by_id], plan)
        for row in rows:
            problems = self._plan_row(row, plan, by_id, by_name)
            if problems:
                plan.problems.append((row.line, problems))
        return plan

    def _name_key(self, row: Row) -> tuple[str, str]:
        return (f"h:{row.household_code}" if row.household_code else f"u:{row.unit_code}", row.name)

    def _by_name(self, rows: list[Row], plan: _Plan) -> dict[tuple[str, str], list[dict[str, Any]]]:
        """Residents that rows without a known ID number may be: same name, same household (same
        unit, without household, when the row has none)."""
        households = {
            state.pk: code
            for code in {row.household_code for row in rows if row.household_code}
            if (state := self.households.get(code)) is not None and state.pk is not None
        }
        units = {
            info.pk: code
            for code in {row.unit_code for row in rows if not row.household_code}
            if (info := self.units.get(code)) is not None
        }
        names = {row.name for row in rows}
        if not names or not (households or units):
            return {}
        query = Q(pk__in=[])
        if households:
            query |= Q(household_id__in=list(households))
        if units:
            query |= Q(household__isnull=True, unit_id__in=list(units))
        found: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for values in Resident.objects.filter(query, name__in=names).order_by().values(*_CURRENT):
            if values["household_id"] in households:
                key = (f"h:{households[values['household_id']]}", values["name"])
            else:
                key = (f"u:{units[values['unit_id']]}", values["name"])
            found.setdefault(key, []).append(values)
        return found

    def _plan_row(
        self,
        row: Row,
        plan: _Plan,
        by_id: dict[str, dict[str, Any]],
        by_name: dict[tuple[str, str], list[dict[str, Any]]],
    ) -> list[Problem]:
        problems: list[Problem] = []
        if problem := self._unit_problem(row):
            problems.append(problem)

        if row.id_index:
            key = _id_key(row.id_index)
            first = plan.seen_ids.get(key) or self.seen_ids.get(key)
            if first is not None and first != row.line:
                problems.append(self._duplicate("id_number", first, row))
            plan.seen_ids.setdefault(key, row.line)

        household: _Household | None = None
        if row.household_code:
            code = row.household_code
            household = plan.households.get(code) or self.households.get(code)
            if household is None and not row.address:
                problems.append(Problem("household", _("A new household needs an address."), code))
            elif household is not None and household.forbidden:
                problems.append(
                    Problem("household", _("This household is outside your area."), code)
                )
        if problems:
            return problems

        current, problem = self._match(row, plan, by_id, by_name)
        if problem:
            return [problem]
        unit = self.units[row.unit_code]
        assert unit is not None
        household = self._claim_household(row, unit.pk, household, plan)
        if current is None:
            plan.creates.append(self._new_resident(row, unit.pk, household))
            return []
        plan.matched[current["pk"]] = row.line
        changes = self._changes(row, unit.pk, household, current)
        if not changes:
            plan.unchanged += 1
            return []
        resident = Resident(pk=current["pk"], name=current["name"], unit_id=unit.pk)
        for attname, value in changes.items():
            setattr(resident, attname, value)
        if household is not None and household.new is not None:
            resident.household = household.new
        fields = tuple(sorted(changes))
        plan.updates.setdefault(fields, []).append(resident)
        return []

    def _duplicate(self, column: str, first: int, row: Row) -> Problem:
        value = row.id_number if column == "id_number" else row.name
        return Problem(
            column, _("The same person is in row %(row)d.") % {"row": first}, masked(column, value)
        )

    def _match(
        self,
        row: Row,
        plan: _Plan,
        by_id: dict[str, dict[str, Any]],
        by_name: dict[tuple[str, str], list[dict[str, Any]]],
    ) -> tuple[dict[str, Any] | None, Problem | None]:
        """The resident the row is about (None: a new one), or why the row cannot be taken."""
        current = by_id.get(row.id_index) if row.id_index else None
        name_key = self._name_key(row)
        if current is None:
            candidates = by_name.get(name_key, [])
            if row.id_index:  # a new number: the same person registered without one?
                candidates = [c for c in candidates if not c["id_number_index"]]
                current = candidates[0] if len(candidates) == 1 else None
            else:
                first = plan.seen_names.get(name_key) or self.seen_names.get(name_key)
                if first is not None and first != row.line:
                    return None, self._duplicate("name", first, row)
                plan.seen_names.setdefault(name_key, row.line)
                if len(candidates) > 1:
                    message = _("Several residents of this name here; give the ID number.")
                    return None, Problem("name", message, row.name)
                current = candidates[0] if candidates else None
                if current is None and row.id_masked:
                    message = _("The ID number is masked; give it in full for a new resident.")
                    return None, Problem("id_number", message, "")
        if current is None:
            return None, None
        if not current["unit__path"].startswith(self.base_path):
            message = _("A resident with this ID number is registered outside your area.")
            return None, Problem("id_number", message, "")
        if (first := plan.matched.get(current["pk"])) is not None:
            return None, self._duplicate("name", first, row)
        return current, None

    def _claim_household(
        self, row: Row, unit_id: int, household: _Household | None, plan: _Plan
    ) -> _Household | None:
        """The row's household; the first row naming it sets its unit and address."""
        code = row.household_code
        if not code:
            return None
        if household is None:
            new = Household(code=code, unit_id=unit_id, address=row.address)
            plan.new_households.append(new)
            state = _Household(None, unit_id, row.address, claimed=True, new=new)
            plan.households[code] = state
            return state
        if household.claimed:
            return household
        address = row.address or household.address
        state = replace(household, claimed=True, unit_id=unit_id, address=address)
        if address != household.address:
            state.moved_from = household.address
        if (unit_id, address) != (household.unit_id, household.address):
            plan.household_updates.append(
                Household(
                    pk=household.pk,
                    code=code,
                    unit_id=unit_id,
                    address=address,
                    updated_at=timezone.now(),
                )
            )
        plan.households[code] = state
        return state

    def _new_resident(self, row: Row, unit_id: int, household: _Household | None) -> Resident:
        resident = Resident(
            unit_id=unit_id,
            name=row.name,
            relation=row.relation,
            gender=row.gender or Resident._meta.get_field("gender").default,
            birth_date=row.birth_date,
            address=row.address or (household.address if household else ""),
            occupation=row.occupation,
            id_number=row.id_number,
            id_number_index=row.id_index,
            phone=row.phone,
            phone_index=row.phone_index,
        )
        if household is not None:
            if household.new is not None:
                resident.household = household.new
            else:
                resident.household_id = household.pk
        return resident

    def _changes(
        self, row: Row, unit_id: int, household: _Household | None, current: dict[str, Any]
    ) -> dict[str, Any]:
        """Attribute → new value, for what the row changes (an empty cell changes nothing)."""
        wanted: dict[str, Any] = {"unit_id": unit_id, "name": row.name}
        if household is not None and household.pk is not None:
            wanted["household_id"] = household.pk
        for name in ("relation", "gender", "birth_date", "occupation"):
            if value := getattr(row, name):
                wanted[name] = value
        if row.address:
            wanted["address"] = row.address
        elif household is not None and current["address"] in ("", household.moved_from):
            wanted["address"] = household.address  # members living at home follow the household
        changes = {k: v for k, v in wanted.items() if current[k] != v}
        if household is not None and household.new is not None:
            changes["household_id"] = None  # set from the new household when it is saved
        if row.id_index and row.id_index != current["id_number_index"]:
            changes.update(id_number=row.id_number, id_number_index=row.id_index)
        if row.phone_index and row.phone_index != current["phone_index"]:
            changes.update(phone=row.phone, phone_index=row.phone_index)
        return changes

    # --- Writing a batch ----------------------------------------------------------------------

    def _apply(self, plan: _Plan) -> None:
        now = timezone.now()
        if plan.new_households:
            bulk.insert(Household, plan.new_households)
        if plan.household_updates:
            bulk.update(
                Household,
                plan.household_updates,
                ["unit", "address", "updated_at"],
                chunk=UPDATE_CHUNK,
            )
        if plan.creates:
            bulk.insert(Resident, plan.creates)
        for fields, residents in plan.updates.items():
            for resident in residents:
                resident.updated_at = now
            names = [_FIELD_NAMES.get(f, f) for f in fields]
            bulk.update(Resident, residents, [*names, "updated_at"], chunk=UPDATE_CHUNK)
        if self.audit_each:
            self._audit(plan)

    def _audit(self, plan: _Plan) -> None:
        job = self.job.pk
        entries = [
            audit.pending(
                actor=self.by,
                action="residents.resident.created",
                object_type="residents.resident",
                object_id=str(resident.pk),
                object_repr=resident.name,
                unit_id=resident.unit_id,
                data={"import": job},
            )
            for resident in plan.creates
        ]
        for fields, residents in plan.updates.items():
            changed = sorted({_FIELD_NAMES.get(f, f) for f in fields if not f.endswith("_index")})
            entries.extend(
                audit.pending(
                    actor=self.by,
                    action="residents.resident.updated",
                    object_type="residents.resident",
                    object_id=str(resident.pk),
                    object_repr=resident.name,
                    unit_id=resident.unit_id,
                    data={"import": job, "fields": changed},
                )
                for resident in residents
            )
        audit.record_many(entries)

    def _commit(self, plan: _Plan) -> None:
        """After the batch's transaction: what it did becomes what later batches know."""
        for code, state in plan.households.items():
            if state.new is not None:
                state = replace(state, pk=state.new.pk, new=None)
            self.households[code] = state
        self.seen_ids.update(plan.seen_ids)
        self.seen_names.update(plan.seen_names)
        self.created += len(plan.creates)
        self.updated += sum(len(residents) for residents in plan.updates.values())
        self.unchanged += plan.unchanged
        for line, problems in plan.problems:
            self._fail(line, problems)
