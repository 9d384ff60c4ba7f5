"""Where a map poll's options are: a GeoJSON Point or Polygon per option, checked as staff wrote it.

GeoJSON writes a position as [longitude, latitude] (RFC 7946 §3.1.1), and a polygon as rings
whose first and last positions are the same; a mistake there is the commonest one in a
hand-written file, so it is named in Russian with the option's place in the file. Distances are
on the sphere (haversine): a resident's location is matched to the zone it is in (distance 0)
or to the nearest ones.
"""
from __future__ import annotations

import math
from typing import Annotated, Any, Literal, Union

from pydantic import Field, field_validator

from bot.core.content import Model

EARTH_RADIUS_M = 6_371_008.8
Position = tuple[float, float]  # (longitude, latitude), as GeoJSON writes it


def _checked(position: Position) -> Position:
    longitude, latitude = position
    if not -180 <= longitude <= 180 or not -90 <= latitude <= 90:
        raise ValueError(f"координаты [{longitude}, {latitude}] вне Земли: в GeoJSON сначала долгота "
                         f"(от -180 до 180), потом широта (от -90 до 90)")
    return position


class Point(Model):
    type: Literal["Point"]
    coordinates: Position

    @field_validator("coordinates")
    @classmethod
    def _on_earth(cls, value: Position) -> Position:
        return _checked(value)

    def distance_m(self, latitude: float, longitude: float) -> float:
        return haversine_m(latitude, longitude, self.coordinates[1], self.coordinates[0])

    def positions(self) -> list[Position]:
        return [self.coordinates]

    def label_at(self) -> Position:
        return self.coordinates


class Polygon(Model):
    type: Literal["Polygon"]
    coordinates: list[list[Position]] = Field(min_length=1, max_length=1)  # the outer ring; no holes

    @field_validator("coordinates")
    @classmethod
    def _closed(cls, rings: list[list[Position]]) -> list[list[Position]]:
        ring = rings[0]
        for position in ring:
            _checked(position)
        if len(ring) < 4:
            raise ValueError("у полигона нужно хотя бы 4 точки: три угла и первая ещё раз в конце")
        if ring[0] != ring[-1]:
            raise ValueError(f"полигон не замкнут: последняя точка {list(ring[-1])} должна повторять "
                             f"первую {list(ring[0])}")
        return rings

    @property
    def ring(self) -> list[Position]:
        return self.coordinates[0]

    def contains(self, latitude: float, longitude: float) -> bool:
        """Ray casting on the plane of longitudes and latitudes: exact enough for a park's zones."""
        inside, ring = False, self.ring
        for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
            if (y1 > latitude) != (y2 > latitude):
                if longitude < x1 + (latitude - y1) * (x2 - x1) / (y2 - y1):
                    inside = not inside
        return inside

    def distance_m(self, latitude: float, longitude: float) -> float:
        """0 inside; else to the nearest edge, measured on a local flat projection (metres)."""
        if self.contains(latitude, longitude):
            return 0.0
        scale = math.cos(math.radians(latitude))
        nearest = math.inf
        for (x1, y1), (x2, y2) in zip(self.ring, self.ring[1:]):
            ax, ay, bx, by = (x1 - longitude) * scale, y1 - latitude, (x2 - longitude) * scale, y2 - latitude
            dx, dy = bx - ax, by - ay
            length = dx * dx + dy * dy
            t = 0.0 if length == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / length))
            cx, cy = ax + t * dx, ay + t * dy
            nearest = min(nearest, haversine_m(latitude, longitude, latitude + cy, longitude + cx / scale))
        return nearest

    def positions(self) -> list[Position]:
        return self.ring[:-1]

    def label_at(self) -> Position:
        """The area's centroid (shoelace), or the corners' mean for a degenerate ring."""
        area = cx = cy = 0.0
        for (x1, y1), (x2, y2) in zip(self.ring, self.ring[1:]):
            cross = x1 * y2 - x2 * y1
            area += cross
            cx += (x1 + x2) * cross
            cy += (y1 + y2) * cross
        if abs(area) < 1e-15:
            corners = self.positions()
            return (sum(p[0] for p in corners) / len(corners), sum(p[1] for p in corners) / len(corners))
        return (cx / (3 * area), cy / (3 * area))


Geometry = Annotated[Union[Point, Polygon], Field(discriminator="type")]


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def geometries_from_file(data: Any, option_keys: list[str]) -> dict[str, Any]:
    """The features of a GeoJSON FeatureCollection by option key (``properties.key``); an unknown
    key or a feature without one is refused, naming it."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        raise ValueError("файл geojson должен быть FeatureCollection со списком features")
    found: dict[str, Any] = {}
    for number, feature in enumerate(data["features"], 1):
        if not isinstance(feature, dict):
            raise ValueError(f"объект №{number} в файле geojson — не Feature")
        key = (feature.get("properties") or {}).get("key")
        if not key:
            raise ValueError(f"у объекта №{number} в файле geojson нет properties.key (ключа варианта)")
        if key not in option_keys:
            raise ValueError(f"в файле geojson неизвестный вариант «{key}»; варианты: {', '.join(option_keys)}")
        if key in found:
            raise ValueError(f"в файле geojson вариант «{key}» встречается дважды")
        found[key] = feature.get("geometry")
    return found
