"""The city-scale data generator behind `manage.py seed_scale` (and the benchmarks).

Every stage loads by PostgreSQL COPY (or bulk inserts elsewhere), counts what is already there and
adds only what is missing, so an interrupted run is resumed by running it again. Generated units
have codes under `SCALE_PREFIX`; they never mix with real or demo units.
"""
