"""Packaging per target: what `botless package`, `botless manifests` and `botless deploy` do.

The CLI modules in functions/local stay thin; the logic lives here. Nothing in this
package is imported by a deployed function, and no artifact contains it.
"""

from tooling.packaging.archive import Artifact
from tooling.packaging.build import PackageError, PackageOptions, package
from tooling.packaging.targets import TARGETS, Target

__all__ = ["Artifact", "PackageError", "PackageOptions", "TARGETS", "Target", "package"]
