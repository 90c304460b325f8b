"""The people, places and uploads of the scale-out test, made through the services in the
deployment's own environment (production settings, the scratch database, the real broker):

    python -m tests.deploy.seed        (env: DATABASE_URL, REDIS_URL, SCALEOUT_QUEUE, ...)

The import uploads are queued by `start_import` itself, after its commit, into the run's queue.
Prints one line of JSON after the marker: the API token, the grid, the import jobs.
"""

from __future__ import annotations

import csv
import io
import json
import os

MARKER = "SCALEOUT-SEED "
PASSWORD = "Scale#Out2026"
CATEGORY = "property.elevator"
GRID_CODE = "13990900100101"
IMPORT_JOBS = 4
ROWS_PER_IMPORT = 3


def import_file(job: int) -> bytes:
    """One household of three, a different one per upload (no ID numbers: matched by name)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["户号", "网格/社区编码", "地址", "与户主关系", "姓名", "性别"])
    for row, (relation, name, gender) in enumerate(
        [("户主", "王秀英", "女"), ("配偶", "李建国", "男"), ("女", "李小红", "女")][
            :ROWS_PER_IMPORT
        ]
    ):
        address = f"建设路{job + 1}号1单元10{row + 1}室" if row == 0 else ""
        writer.writerow([f"SO{job + 1:03d}", GRID_CODE, address, relation, name, gender])
    return buffer.getvalue().encode("utf-8")


def seed() -> dict[str, object]:
    from xinkan.accounts import services as accounts
    from xinkan.accounts.models import User
    from xinkan.api import tokens
    from xinkan.celery import app
    from xinkan.org import services as org
    from xinkan.org.models import Level, Unit
    from xinkan.org.roles import Role
    from xinkan.residents.imports import service as imports

    # The uploads' tasks go to this run's queue, which only this run's workers consume.
    app.conf.task_default_queue = os.environ["SCALEOUT_QUEUE"]

    district = org.create_unit(
        code="139909", name="清河区", level=Level.DISTRICT, parent=None, by=None
    )
    subdistrict = org.create_unit(
        code="139909001", name="东风街道", level=Level.SUBDISTRICT, parent=district, by=None
    )
    community = org.create_unit(
        code="139909001001", name="东风里社区", level=Level.COMMUNITY, parent=subdistrict, by=None
    )
    grid = org.create_unit(
        code=GRID_CODE, name="东风里社区第一网格", level=Level.GRID, parent=community, by=None
    )

    def person(username: str, name: str, role: str, unit: Unit) -> User:
        user = accounts.create_user(
            username=username,
            display_name=name,
            password=PASSWORD,
            by=None,
            must_change_password=False,
        )
        org.grant_membership(user=user, role=role, unit=unit, by=None)
        return user

    admin = person("admin", "王建国", Role.ADMIN, district)
    worker = person("community", "刘芳", Role.COMMUNITY_WORKER, community)
    person("cadre", "张伟", Role.SUBDISTRICT_CADRE, subdistrict)

    issued = tokens.create_token(
        name="12345热线",
        role=Role.COMMUNITY_WORKER,
        perms=sorted(tokens.allowed_perms(Role.COMMUNITY_WORKER)),
        unit=community,
        by=admin,
    )
    jobs = [
        imports.start_import(
            by=worker,
            unit=community,
            file_name=f"residents-{job + 1}.csv",
            content=import_file(job),
        ).pk
        for job in range(IMPORT_JOBS)
    ]
    return {
        "token": issued.secret,
        "grid": grid.pk,
        "category": CATEGORY,
        "jobs": jobs,
        "rows_per_import": ROWS_PER_IMPORT,
    }


if __name__ == "__main__":
    import django

    django.setup()
    print(MARKER + json.dumps(seed()), flush=True)
