"""Preprocessing layers that saved Keras models contain: Rescaling, Normalization, and the image augmentation layers.

Keras 3 casts the input of these layers to its compute dtype, so an integer image (uint8) may feed them directly:
none is FLOAT_INPUT. The augmentation layers (RandomFlip, RandomRotation, RandomZoom, RandomContrast,
RandomTranslation, RandomCrop) transform images in training only; their arguments are validated as Keras's
constructors validate them (the messages are Keras's), but none changes what the model computes at inference.
"""

from typing import Any, ClassVar, Literal, Optional, Union

from pydantic import Field, PositiveInt, ValidationInfo, field_validator

from ..base import DataFormat, Layer

# A constant Keras takes as a Python number or an array: a number, a list, or a list of lists (a 2D array).
Values = Union[float, list[float], list[list[float]]]


class PreprocessingLayer(Layer):
    FAMILY: ClassVar[str] = "preprocessing"


class Rescaling(PreprocessingLayer):
    """y = x * scale + offset. Keras's constructor takes no data_format: a list multiplies along the last axis."""
    MASKING: ClassVar[str] = "keeps"

    type: Literal["Rescaling"]
    scale: Union[float, list[float]] = Field(description="A number, or one value per position of the last axis.")
    offset: Union[float, list[float]] = 0.0

    @field_validator("scale", "offset")
    @classmethod
    def _not_empty(cls, value):
        """A list is not empty."""
        if isinstance(value, list) and not value:
            raise ValueError("an empty list scales nothing: give a number or one value per channel")
        return value


def values_shape(value: Any) -> tuple[int, ...]:
    """np.shape of a number or a (nested) list of numbers; ValueError for a ragged one, as NumPy refuses it."""
    if not isinstance(value, list):
        return ()
    inner = {values_shape(v) for v in value}
    if len(inner) > 1:
        raise ValueError("the rows of a nested list must all have the same length")
    return (len(value), *(inner.pop() if inner else ()))


def flat_values(value: Any) -> list[float]:
    """The numbers of a (nested) list, in order."""
    return [x for v in value for x in flat_values(v)] if isinstance(value, list) else [value]


class Normalization(PreprocessingLayer):
    """(x - mean) / max(sqrt(variance), 1e-7), per position of the kept `axis` (None: one mean for everything).

    Without `mean` and `variance`, Keras stores them as non-trainable variables that adapt() fills from data (and
    an int64 `count`); given as arguments, they are constants and the layer has no variables.
    """
    MASKING: ClassVar[str] = "keeps"

    type: Literal["Normalization"]
    WEIGHTS: ClassVar[tuple[str, ...]] = ("mean", "variance", "count")
    axis: Optional[Union[int, list[int]]] = Field(
        -1, description="The axis (or axes) with one mean and variance per position, batch counted; null: one for all."
    )
    mean: Optional[Values] = Field(None, description="Constant mean (with `variance`); null: adapted from data.")
    # validate_default: a mean without a variance is refused, as Keras's constructor refuses it.
    variance: Optional[Values] = Field(None, validate_default=True)
    invert: bool = False

    def axes(self) -> tuple[int, ...]:
        """`axis` as Keras standardizes it: a tuple, empty for None."""
        if self.axis is None:
            return ()
        return (self.axis,) if isinstance(self.axis, int) else tuple(self.axis)

    @field_validator("variance")
    @classmethod
    def _given_together(cls, variance, info: ValidationInfo):
        """Given with `mean` or not at all, with the same shape as `mean`, a rank at most the number of axes, and no
        negative value."""
        # Keras's constructor checks, in its words; mean and axis were validated first (field order).
        if "mean" not in info.data or "axis" not in info.data:
            return variance  # their own errors are reported
        mean = info.data["mean"]
        if (mean is None) != (variance is None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. Received: "
                             f"mean={mean} and variance={variance}")
        if mean is None:
            return variance
        shape, axis = values_shape(mean), info.data["axis"]
        if shape != values_shape(variance):
            raise ValueError(f"When setting values directly, `mean` and `variance` must have the same shape. "
                             f"Received: mean shape {shape} and variance shape {values_shape(variance)}")
        axes = 0 if axis is None else 1 if isinstance(axis, int) else len(axis)
        if len(shape) > axes:
            raise ValueError(f"The rank of `mean` must be less than or equal to the number of axes ({axes}). "
                             f"Received: mean shape {shape} for axis {axis}")
        if any(v < 0 for v in flat_values(variance)):
            # Stricter than Keras, which takes the square root and returns NaN.
            raise ValueError("a variance cannot be negative (Keras divides by its square root: NaN)")
        return variance


# ---------------------------------------------------------------- image augmentation


class RandomImageLayer(PreprocessingLayer):
    """An augmentation layer: on a batch of images, transformed in training, the identity at inference."""

    RANK: ClassVar[int] = 2
    DATA_FORMAT: ClassVar[bool] = True
    # What the layer does in training (explain says it is not done at inference).
    TRAINING: ClassVar[str] = ""
    # At inference Keras casts the images to its compute dtype (an integer image comes out float32); RandomContrast
    # and RandomCrop return them as they are (measured on Keras 3.15).
    CASTS: ClassVar[bool] = True
    seed: Optional[int] = None
    data_format: Optional[DataFormat] = None


Factor = Union[float, list[float]]
FillMode = Literal["reflect", "wrap", "constant", "nearest"]
Interpolation = Literal["nearest", "bilinear"]


def base_factor(factor, low: float, high: float):
    """BaseImagePreprocessingLayer._set_factor: a number in [low, high], or two numbers with the first <= high and
    the second >= low (Keras checks no more than that)."""
    message = (f"The `factor` argument should be a number (or a list of two numbers) in the range [{low}, {high}]. "
               f"Received: factor={factor}")
    if isinstance(factor, list):
        if len(factor) != 2 or factor[0] > high or factor[1] < low:
            raise ValueError(message)
    elif not low <= factor <= high:
        raise ValueError(message)
    return factor


def each_factor(factor, name: str, low: float, high: float, low_included: bool):
    """RandomZoom's and RandomTranslation's _set_factor: a number, or two numbers, each within the range."""
    inside = (lambda v: low <= v <= high) if low_included else (lambda v: low < v <= high)
    values = factor if isinstance(factor, list) else [factor]
    if (isinstance(factor, list) and len(factor) != 2) or not all(inside(v) for v in values):
        bracket = "[" if low_included else "("
        raise ValueError(f"The `{name}` argument should be a number (or a list of two numbers) in the range "
                         f"{bracket}{low}, {high}]. Received: {name}={factor}")
    return factor


class RandomFlip(RandomImageLayer):
    type: Literal["RandomFlip"]
    TRAINING: ClassVar[str] = "flips images"
    # Keras takes any string and flips nothing for an unknown one; a spec names one of the three modes.
    mode: Literal["horizontal", "vertical", "horizontal_and_vertical"] = "horizontal_and_vertical"


class RandomRotation(RandomImageLayer):
    type: Literal["RandomRotation"]
    TRAINING: ClassVar[str] = "rotates images"
    factor: Factor = Field(description="A fraction of 2 pi: a number in [-1, 1], or a (lower, upper) pair.")
    fill_mode: FillMode = "reflect"
    interpolation: Interpolation = "bilinear"
    fill_value: float = 0.0

    @field_validator("factor")
    @classmethod
    def _factor(cls, factor):
        """A number in [-1, 1], or two numbers, the first <= 1 and the second >= -1 (Keras's check)."""
        return base_factor(factor, -1, 1)


class RandomZoom(RandomImageLayer):
    type: Literal["RandomZoom"]
    TRAINING: ClassVar[str] = "zooms images"
    height_factor: Factor
    width_factor: Optional[Factor] = Field(None, description="null: zoom both axes alike (keeps the aspect ratio).")
    fill_mode: FillMode = "reflect"
    interpolation: Interpolation = "bilinear"
    fill_value: float = 0.0

    @field_validator("height_factor", "width_factor")
    @classmethod
    def _factor(cls, factor, info: ValidationInfo):
        """A number, or two numbers, each in (-1, 1]."""
        return factor if factor is None else each_factor(factor, info.field_name, -1.0, 1.0, low_included=False)


class RandomContrast(RandomImageLayer):
    type: Literal["RandomContrast"]
    TRAINING: ClassVar[str] = "changes the contrast of images"
    CASTS: ClassVar[bool] = False
    factor: Factor = Field(description="A number in [0, 1], or a (lower, upper) pair.")
    value_range: list[float] = Field([0, 255], min_length=2, max_length=2)

    @field_validator("factor")
    @classmethod
    def _factor(cls, factor):
        """A number in [0, 1], or two numbers, the first <= 1 and the second >= 0 (Keras's check)."""
        return base_factor(factor, 0, 1)


class RandomTranslation(RandomImageLayer):
    type: Literal["RandomTranslation"]
    TRAINING: ClassVar[str] = "shifts images"
    height_factor: Factor
    width_factor: Factor
    fill_mode: FillMode = "reflect"
    interpolation: Interpolation = "bilinear"
    fill_value: float = 0.0

    @field_validator("height_factor", "width_factor")
    @classmethod
    def _factor(cls, factor, info: ValidationInfo):
        """A number, or two numbers, each in [-1, 1]."""
        return each_factor(factor, info.field_name, -1.0, 1.0, low_included=True)


class RandomCrop(RandomImageLayer):
    """Keras builds its output as (height, width), but Keras 3.15 crops in training only: at inference it returns
    its input unchanged (keras-team/keras#21868). See shapes/infer/preprocessing.py."""

    type: Literal["RandomCrop"]
    TRAINING: ClassVar[str] = "crops a random (height, width) window"
    CASTS: ClassVar[bool] = False
    height: PositiveInt
    width: PositiveInt


# ---------------------------------------------------------------- image resizing (at inference too)


class ImageSizeLayer(PreprocessingLayer):
    """A layer that gives every image the size (height, width), at inference as in training."""

    RANK: ClassVar[int] = 2
    DATA_FORMAT: ClassVar[bool] = True
    height: PositiveInt
    width: PositiveInt
    data_format: Optional[DataFormat] = None


class Resizing(ImageSizeLayer):
    """tf.image.resize to (height, width), after cropping or padding the image to the target's aspect ratio when
    asked. Keras's constructor takes any interpolation, fill_mode and both aspect-ratio flags, and the call refuses
    them; a spec refuses them when it is read."""

    type: Literal["Resizing"]
    interpolation: Literal["bilinear", "nearest", "bicubic", "area", "lanczos3", "lanczos5"] = "bilinear"
    crop_to_aspect_ratio: bool = False
    # validate_default: both flags true is refused even when pad_to_aspect_ratio is the last one given.
    pad_to_aspect_ratio: bool = Field(False, validate_default=True)
    fill_mode: Literal["constant"] = Field("constant", description="Keras's resize supports 'constant' only.")
    fill_value: float = Field(0.0, description="The value of the padding of pad_to_aspect_ratio.")
    antialias: bool = False

    @field_validator("pad_to_aspect_ratio")
    @classmethod
    def _one_aspect_ratio(cls, pad, info: ValidationInfo):
        """Not both: Keras's resize refuses them together, in these words."""
        if pad and info.data.get("crop_to_aspect_ratio"):
            raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
        return pad


class CenterCrop(ImageSizeLayer):
    """The central (height, width) window; an image smaller than that on either axis is instead cropped to the
    target's aspect ratio and resized to it (bilinear), as keras.utils.smart_resize does."""

    type: Literal["CenterCrop"]


LAYERS = (
    Rescaling, Normalization,
    RandomFlip, RandomRotation, RandomZoom, RandomContrast, RandomTranslation, RandomCrop,
    Resizing, CenterCrop,
)
