"""How big each preset is: the tree's shape and the number of matters and residents."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Preset:
    name: str
    districts: int  # more than one: the districts hang under one city
    subdistricts: int  # per district
    communities: int  # per subdistrict
    grids: int  # per community
    matters: int
    residents: int

    @property
    def with_city(self) -> bool:
        return self.districts > 1

    def units(self) -> dict[str, int]:
        subdistricts = self.districts * self.subdistricts
        communities = subdistricts * self.communities
        return {
            "city": 1 if self.with_city else 0,
            "district": self.districts,
            "subdistrict": subdistricts,
            "community": communities,
            "grid": communities * self.grids,
        }

    def scaled(self, *, matters: int | None, residents: int | None) -> Preset:
        return replace(
            self,
            matters=self.matters if matters is None else matters,
            residents=self.residents if residents is None else residents,
        )

    # In proportion to the residents and matters, as a real district has them.
    @property
    def volunteers(self) -> int:
        return self.residents // 40

    @property
    def needs(self) -> int:
        return self.residents // 60

    @property
    def disputes(self) -> int:
        return self.matters // 40

    @property
    def square_sessions(self) -> int:
        """About one session per subdistrict every two months over three years."""
        return self.units()["subdistrict"] * 18


PRESETS = {
    # Quick checks and tests: one district of 4 subdistricts.
    "small": Preset("small", 1, 4, 5, 5, matters=20_000, residents=10_000),
    # One district: ~19 subdistricts, 380 communities, 3,800 grids.
    "district": Preset("district", 1, 19, 20, 10, matters=100_000, residents=200_000),
    # A large city: 16 districts, 304 subdistricts, 6,080 communities, 60,800 grids.
    "city": Preset("city", 16, 19, 20, 10, matters=10_000_000, residents=3_000_000),
}
