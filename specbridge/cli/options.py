"""Choices shared by several commands (Typer turns a str Enum into a validated choice)."""

from __future__ import annotations

from enum import Enum


class CheckFormat(str, Enum):
    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
