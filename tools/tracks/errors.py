"""Errors a user of the track tools can cause; each prints as one clear message."""

from kg.errors import GeneverseError


class SequenceError(GeneverseError):
    """A sequence of the wrong length or alphabet, or a FASTA that cannot be read."""


class ModelNotConfigured(GeneverseError):
    """No Enformer weights or genome FASTA was named."""


class WeightsError(GeneverseError):
    """The weights folder exists but does not hold a loadable Enformer checkpoint."""


class TrackFileError(GeneverseError):
    """A bigWig file, a prediction folder or a track specification that cannot be used."""
