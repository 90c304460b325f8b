"""Import of households and residents from a spreadsheet (.xlsx or .csv), in the background.

The layout (first sheet, first row the headers; Chinese headers, English aliases accepted, other
columns ignored — see `columns.COLUMNS`):

    户号 | 网格/社区编码* | 地址 | 与户主关系 | 姓名* | 性别 | 出生日期 | 身份证号 | 手机 | 职业

Rules, row by row (a wrong row is reported with its number and why; the good rows are imported):

- The unit code must be a unit inside the unit the import is for, where the importer may manage
  residents. The ID number must be valid (GB 11643: date, check digit) and in the file once; the
  gender and birth date come from it. A phone needs 7 to 15 digits.
- Households are matched by their number (户号): a new number makes a household (its address is
  needed), a known one is updated from the first row that names it; members who lived at its old
  address (or had none) move with it.
- Residents with an ID number are matched by it (through its keyed hash: the number itself is never
  compared or stored in clear). A resident without one — or with a masked one, as a masked export
  gives it — is matched by name within the household (within the unit when the row has no
  household); a new ID number also first looks there for the same person registered without one.
  Two residents of one name there make the row ambiguous: it is refused and asks for the number.
- An empty cell leaves what the archive holds (it never erases); a masked value (with *) too.
- Re-importing a file therefore updates (or leaves unchanged) instead of duplicating.

Writing is batched (`service.py`): one transaction per batch of rows, with one lookup per batch for
the households and residents it touches, bulk inserts and updates (`core/bulk.py`: COPY and one
UPDATE … FROM unnest on PostgreSQL), and one audit entry per created or changed resident
(appended to the chain in bulk, `audit.services.record_many`) plus one for the whole import, with counts and field
names — never values. `manage.py bench_import` measures it: about 4,000 new residents a second on
PostgreSQL, a million in four to five minutes.
"""
