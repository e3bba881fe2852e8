"""Roles and unit kinds."""

from enum import StrEnum


class Role(StrEnum):
    CADRE = "cadre"
    SUPERVISOR = "supervisor"
    EVALUATOR = "evaluator"
    ADMIN = "admin"


class UnitKind(StrEnum):
    PROVINCE = "province"
    DEPARTMENT = "department"  # a province department (sở, ban, ngành)
    COMMUNE = "commune"  # commune or ward (xã, phường, đặc khu)
