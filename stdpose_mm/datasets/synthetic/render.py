"""Drawing helpers: backgrounds, people as filled shapes, occluders and motion blur.

Everything is drawn with OpenCV primitives using fixed-point coordinates (``shift``) so joints
land on sub-pixel positions, and with anti-aliasing so edges look like a (blurry) camera image.
People and occluders are drawn on their own premultiplied layer plus an alpha mask; the masks
tell the generator which keypoints are hidden, and the layer can be motion-blurred alone.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import skeleton as sk

# Fractional bits for OpenCV drawing calls (coordinates are multiplied by 2**_SHIFT).
_SHIFT = 4
_SCALE = float(1 << _SHIFT)

Color = tuple[float, float, float]


@dataclass(frozen=True)
class Primitive:
    """One filled shape.

    Args:
        kind: ``'line'`` (thick segment with round caps), ``'poly'`` (filled polygon),
            ``'ellipse'`` (filled, rotated) or ``'circle'`` (filled).
        points: (N, 2) float coordinates: the two ends of a line, the polygon vertices, or the
            centre of an ellipse/circle.
        color: BGR colour in [0, 255].
        size: Line thickness, circle radius, or the two semi-axes of an ellipse.
        angle: Ellipse rotation in degrees.
    """

    kind: str
    points: np.ndarray
    color: Color
    size: tuple[float, ...] = ()
    angle: float = 0.0


@dataclass(frozen=True)
class PersonStyle:
    """Per-person colours (BGR).

    Args:
        skin: Face, neck and hands.
        hair: Top of the head.
        shirt: Torso and upper arms.
        forearm: Long sleeves (shirt colour) or bare arms (skin).
        pants: Thighs.
        shin: Long trousers (pants colour) or shorts (skin).
        shoes: Feet.
    """

    skin: Color
    hair: Color
    shirt: Color
    forearm: Color
    pants: Color
    shin: Color
    shoes: Color

    @classmethod
    def sample(cls, rng: np.random.Generator) -> PersonStyle:
        """Draws a random outfit.

        Args:
            rng: Random generator.

        Returns:
            The style.
        """
        skins = [(185, 205, 235), (140, 170, 215), (100, 140, 190), (70, 100, 150), (45, 65, 100)]
        hairs = [(20, 20, 25), (30, 50, 80), (60, 90, 140), (130, 170, 200), (150, 150, 150)]
        skin = _jitter(rng, skins[rng.integers(len(skins))], 12)
        hair = _jitter(rng, hairs[rng.integers(len(hairs))], 10)
        shirt = _random_color(rng, 25, 235)
        pants = _random_color(rng, 15, 160)
        shoes = _random_color(rng, 10, 90)
        forearm = shirt if rng.random() < 0.5 else skin
        shin = pants if rng.random() < 0.7 else skin
        return cls(skin=skin, hair=hair, shirt=shirt, forearm=forearm, pants=pants, shin=shin,
                   shoes=shoes)


def _random_color(rng: np.random.Generator, low: int, high: int) -> Color:
    values = rng.uniform(low, high, size=3)
    return (float(values[0]), float(values[1]), float(values[2]))


def _jitter(rng: np.random.Generator, color: tuple[int, int, int], amount: float) -> Color:
    values = np.clip(np.asarray(color, dtype=np.float64) + rng.uniform(-amount, amount, 3), 0,
                     255)
    return (float(values[0]), float(values[1]), float(values[2]))


def _shade(color: Color, factor: float) -> Color:
    return (color[0] * factor, color[1] * factor, color[2] * factor)


def _fixed(points: np.ndarray) -> np.ndarray:
    """Float pixel coordinates -> int32 fixed point for OpenCV drawing with ``shift``."""
    return np.round(np.asarray(points, dtype=np.float64) * _SCALE).astype(np.int32)


def draw_primitives(image: np.ndarray, primitives: list[Primitive],
                    offset: tuple[float, float] = (0.0, 0.0),
                    mask_value: float | None = None) -> None:
    """Draws shapes in order onto ``image`` (in place).

    Args:
        image: uint8 image (H, W, 3) or mask (H, W).
        primitives: Shapes in painter's order.
        offset: Added to every coordinate (world -> canvas).
        mask_value: When set, every shape is drawn with this single value (alpha masks).
    """
    off = np.asarray(offset, dtype=np.float64)
    for prim in primitives:
        color = (mask_value,) * 3 if mask_value is not None else prim.color
        pts = _fixed(prim.points + off)
        if prim.kind == 'line':
            thickness = max(1, int(round(prim.size[0])))
            cv2.line(image, tuple(int(v) for v in pts[0]), tuple(int(v) for v in pts[1]), color,
                     thickness, cv2.LINE_AA, _SHIFT)
        elif prim.kind == 'poly':
            cv2.fillPoly(image, [pts.reshape(-1, 1, 2)], color, cv2.LINE_AA, _SHIFT)
        elif prim.kind == 'circle':
            radius = max(1, int(round(prim.size[0] * _SCALE)))
            cv2.circle(image, tuple(int(v) for v in pts[0]), radius, color, -1, cv2.LINE_AA,
                       _SHIFT)
        elif prim.kind == 'ellipse':
            axes = tuple(max(1, int(round(a * _SCALE))) for a in prim.size)
            cv2.ellipse(image, tuple(int(v) for v in pts[0]), axes, prim.angle, 0, 360, color, -1,
                        cv2.LINE_AA, _SHIFT)
        else:
            raise ValueError(f'unknown primitive kind {prim.kind!r}')


def _limb(points: list[np.ndarray], thickness: float, color: Color) -> list[Primitive]:
    """A thick segment with a thin darker outline (helps separate overlapping limbs)."""
    pts = np.stack(points)
    return [
        Primitive('line', pts, _shade(color, 0.55), (thickness + 2,)),
        Primitive('line', pts, color, (thickness,)),
    ]


def head_ellipse(kps: np.ndarray,
                 body: sk.BodyProportions) -> tuple[np.ndarray, tuple[float, float], float]:
    """Centre, semi-axes and OpenCV angle (degrees) of the drawn head.

    Args:
        kps: (17, 2) keypoints of one frame.
        body: Segment lengths.

    Returns:
        ``(centre, (semi_axis_along_head, semi_axis_across), angle_deg)``; the long axis runs
        from ``head_bottom`` to ``head_top``, so the ellipse touches both.
    """
    bottom, top = kps[sk.HEAD_BOTTOM], kps[sk.HEAD_TOP]
    axis = top - bottom
    centre = (bottom + top) / 2
    angle = float(np.degrees(np.arctan2(axis[1], axis[0])))
    return centre, (body.head / 2, sk.head_half_width(body)), angle


def head_box(kps: np.ndarray, body: sk.BodyProportions) -> list[int]:
    """Tight axis-aligned box ``[x, y, w, h]`` (ints, like PoseTrack) around the drawn head.

    Args:
        kps: (17, 2) keypoints of one frame (image coordinates).
        body: Segment lengths.

    Returns:
        The head box.
    """
    centre, (a, b), angle = head_ellipse(kps, body)
    rad = np.radians(angle)
    half_w = np.hypot(a * np.cos(rad), b * np.sin(rad))
    half_h = np.hypot(a * np.sin(rad), b * np.cos(rad))
    x0, y0 = int(np.floor(centre[0] - half_w)), int(np.floor(centre[1] - half_h))
    x1, y1 = int(np.ceil(centre[0] + half_w)), int(np.ceil(centre[1] + half_h))
    return [x0, y0, x1 - x0, y1 - y0]


def person_primitives(kps: np.ndarray, body: sk.BodyProportions, style: PersonStyle, yaw: float,
                      facing: int) -> list[Primitive]:
    """Builds the shapes of one person for one frame, in painter's order.

    Args:
        kps: (17, 2) keypoints (any coordinate frame; shapes use the same one).
        body: Segment lengths (limb thickness scales with the height).
        style: Colours.
        yaw: Body yaw (0 frontal .. 1 profile).
        facing: +1 / -1, which side is turned towards the camera when in profile.

    Returns:
        The primitives.
    """
    h = body.height
    profile = yaw > 0.35
    # A person facing image right shows the camera their right side.
    near_is_left = facing < 0
    far_shade = 0.72 if profile else 1.0

    def side_shade(is_left: bool) -> float:
        return 1.0 if (not profile or is_left == near_is_left) else far_shade

    def leg(is_left: bool) -> list[Primitive]:
        hip, knee, ankle = ((sk.LEFT_HIP, sk.LEFT_KNEE, sk.LEFT_ANKLE) if is_left else
                            (sk.RIGHT_HIP, sk.RIGHT_KNEE, sk.RIGHT_ANKLE))
        shade = side_shade(is_left)
        toe_dir = np.array([facing * np.sin(yaw * np.pi / 2), 0.25])
        toe = kps[ankle] + 0.075 * h * toe_dir / np.linalg.norm(toe_dir)
        return (_limb([kps[knee], kps[ankle]], 0.055 * h, _shade(style.shin, shade)) +
                _limb([kps[ankle], toe], 0.04 * h, _shade(style.shoes, shade)) +
                _limb([kps[hip], kps[knee]], 0.075 * h, _shade(style.pants, shade)))

    def arm(is_left: bool) -> list[Primitive]:
        shoulder, elbow, wrist = ((sk.LEFT_SHOULDER, sk.LEFT_ELBOW, sk.LEFT_WRIST) if is_left else
                                  (sk.RIGHT_SHOULDER, sk.RIGHT_ELBOW, sk.RIGHT_WRIST))
        shade = side_shade(is_left)
        hand_dir = kps[wrist] - kps[elbow]
        hand = kps[wrist] + 0.035 * h * hand_dir / max(np.linalg.norm(hand_dir), 1e-6)
        return (_limb([kps[shoulder], kps[elbow]], 0.05 * h, _shade(style.shirt, shade)) +
                _limb([kps[elbow], kps[wrist]], 0.04 * h, _shade(style.forearm, shade)) +
                [Primitive('circle', hand[None], _shade(style.skin, shade), (0.03 * h,))])

    prims: list[Primitive] = []
    far_left = not near_is_left
    prims += leg(far_left) + leg(not far_left)
    if profile:
        prims += arm(far_left)

    # Torso: a quad from shoulders to hips, widened by the body depth seen in profile.
    neck = (kps[sk.LEFT_SHOULDER] + kps[sk.RIGHT_SHOULDER]) / 2
    pelvis = (kps[sk.LEFT_HIP] + kps[sk.RIGHT_HIP]) / 2
    up = neck - pelvis
    up /= max(np.linalg.norm(up), 1e-6)
    lat = np.array([-up[1], up[0]])
    turn = np.sin(yaw * np.pi / 2)
    sh_half = np.hypot(body.shoulder_half * sk.width_factor(yaw), 0.075 * h * turn) + 0.02 * h
    hip_half = np.hypot(body.hip_half * sk.width_factor(yaw), 0.07 * h * turn) + 0.03 * h
    torso = np.stack([neck + lat * sh_half + up * 0.02 * h, neck - lat * sh_half + up * 0.02 * h,
                      pelvis - lat * hip_half - up * 0.03 * h,
                      pelvis + lat * hip_half - up * 0.03 * h])
    prims.append(Primitive('poly', torso, _shade(style.shirt, 0.55)))
    shrunk = (torso - torso.mean(axis=0)) * 0.9 + torso.mean(axis=0)
    prims.append(Primitive('poly', shrunk, style.shirt))
    prims.append(Primitive('poly', np.stack([pelvis + lat * hip_half - up * 0.03 * h,
                                             pelvis - lat * hip_half - up * 0.03 * h,
                                             pelvis - lat * hip_half * 0.9 + up * 0.05 * h,
                                             pelvis + lat * hip_half * 0.9 + up * 0.05 * h]),
                           style.pants))

    # Neck and head: hair on the top half, face ellipse on the lower part, nose and eyes.
    prims += _limb([neck, kps[sk.HEAD_BOTTOM]], 0.05 * h, style.skin)
    centre, (a, b), angle = head_ellipse(kps, body)
    head_up = kps[sk.HEAD_TOP] - kps[sk.HEAD_BOTTOM]
    head_up /= max(np.linalg.norm(head_up), 1e-6)
    head_lat = np.array([-head_up[1], head_up[0]])
    prims.append(Primitive('ellipse', centre[None], _shade(style.hair, 0.8), (a + 1, b + 1),
                           angle))
    prims.append(Primitive('ellipse', centre[None], style.hair, (a, b), angle))
    face_centre = centre - head_up * 0.18 * a + head_lat * facing * turn * 0.15 * b
    prims.append(Primitive('ellipse', face_centre[None], style.skin, (a * 0.78, b * 0.85), angle))
    eye_y = kps[sk.HEAD_BOTTOM] + head_up * 0.6 * body.head
    eye_r = max(0.012 * h, 0.6)
    for side in (-1.0, 1.0):
        offset = side * 0.38 * b * sk.width_factor(yaw) + facing * turn * 0.45 * b
        if abs(offset) < 0.95 * b:
            prims.append(Primitive('circle', (eye_y + head_lat * offset)[None], (25, 25, 30),
                                   (eye_r,)))
    prims.append(Primitive('circle', kps[sk.NOSE][None], _shade(style.skin, 0.6),
                           (max(0.016 * h, 0.8),)))

    if not profile:
        prims += arm(far_left)
    prims += arm(not far_left)
    return prims


# ----------------------------------------------------------------------------- backgrounds


def _value_noise(rng: np.random.Generator, height: int, width: int,
                 cells: tuple[int, ...] = (3, 6, 12, 24)) -> np.ndarray:
    """Smooth multi-octave noise in [0, 1] of shape (H, W)."""
    noise = np.zeros((height, width), np.float32)
    total = 0.0
    for i, n_cells in enumerate(cells):
        grid = rng.random((n_cells + 1, int(np.ceil(n_cells * width / height)) + 1))
        layer = cv2.resize(grid.astype(np.float32), (width, height), interpolation=cv2.INTER_CUBIC)
        weight = 0.55**i
        noise += weight * layer
        total += weight
    noise /= total
    lo, hi = float(noise.min()), float(noise.max())
    return (noise - lo) / max(hi - lo, 1e-6)


def _colorize(values: np.ndarray, color_a: np.ndarray, color_b: np.ndarray) -> np.ndarray:
    return color_a[None, None] * (1 - values[..., None]) + color_b[None, None] * values[..., None]


def make_background(rng: np.random.Generator, width: int, height: int,
                    horizon: float) -> np.ndarray:
    """A static textured background: noise, stripes or gradients, a floor and some clutter.

    Args:
        rng: Random generator.
        width: Canvas width in pixels.
        height: Canvas height in pixels.
        horizon: y coordinate (canvas pixels) where the floor starts.

    Returns:
        uint8 BGR image (H, W, 3).
    """
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    color_a, color_b = rng.uniform(20, 235, 3), rng.uniform(20, 235, 3)
    kind = rng.choice(['noise', 'stripes', 'gradient'])
    if kind == 'noise':
        values = _value_noise(rng, height, width)
    elif kind == 'stripes':
        theta = rng.uniform(0, np.pi)
        period = rng.uniform(8, 40)
        proj = xx * np.cos(theta) + yy * np.sin(theta)
        values = 0.5 + 0.5 * np.sin(2 * np.pi * proj / period + rng.uniform(0, 2 * np.pi))
        if rng.random() < 0.5:  # plaid
            theta2 = theta + np.pi / 2
            proj2 = xx * np.cos(theta2) + yy * np.sin(theta2)
            values = 0.5 * values + 0.25 + 0.25 * np.sin(2 * np.pi * proj2 / rng.uniform(8, 40))
        values = 0.7 * values + 0.3 * _value_noise(rng, height, width)
    else:
        theta = rng.uniform(0, 2 * np.pi)
        proj = xx * np.cos(theta) + yy * np.sin(theta)
        values = (proj - proj.min()) / max(float(np.ptp(proj)), 1e-6)
        values = 0.75 * values + 0.25 * _value_noise(rng, height, width)
    image = _colorize(values, color_a, color_b)

    if rng.random() < 0.7:
        # A floor below the horizon with its own texture.
        floor_values = _value_noise(rng, height, width, cells=(2, 5, 10, 40))
        floor = _colorize(floor_values, rng.uniform(30, 200, 3), rng.uniform(30, 200, 3))
        blend = np.clip((yy - horizon) / 3.0, 0, 1)[..., None]
        image = image * (1 - blend) + floor * blend

    image = np.clip(image, 0, 255).astype(np.uint8)
    # Static clutter (boxes, discs, poles) so the background is not trivially separable.
    for _ in range(int(rng.integers(3, 9))):
        color = tuple(float(c) for c in rng.uniform(20, 235, 3))
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        size = rng.uniform(0.03, 0.15) * max(width, height)
        shape = rng.integers(3)
        if shape == 0:
            pts = np.array([[cx - size, cy - size * rng.uniform(0.3, 1.0)],
                            [cx + size, cy + size * rng.uniform(0.3, 1.0)]])
            cv2.rectangle(image, *[tuple(int(v) for v in p) for p in pts], color, -1)
        elif shape == 1:
            cv2.circle(image, (int(cx), int(cy)), int(size * 0.6), color, -1, cv2.LINE_AA)
        else:
            cv2.line(image, (int(cx), 0), (int(cx + rng.uniform(-0.2, 0.2) * size), height), color,
                     int(rng.integers(2, 7)), cv2.LINE_AA)
    sigma = float(rng.uniform(0.0, 1.2))
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    grain = rng.normal(0, rng.uniform(2, 6), image.shape)
    return np.clip(image + grain, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- occluders


@dataclass
class Occluder:
    """An object passing in front of the people.

    Args:
        shape: (N, 2) polygon relative to the occluder centre.
        centres: (T, 2) centre per frame (world coordinates).
        color: Fill colour.
        stripe_color: Colour of the inner pattern.
        pattern: ``'stripes'`` (inner parallel bars) or ``'ring'`` (inner smaller copy).
    """

    shape: np.ndarray
    centres: np.ndarray
    color: Color
    stripe_color: Color
    pattern: str

    def primitives(self, frame: int) -> list[Primitive]:
        """Shapes of this occluder at ``frame``."""
        poly = self.shape + self.centres[frame]
        prims = [Primitive('poly', poly, _shade(self.color, 0.6)),
                 Primitive('poly', (poly - self.centres[frame]) * 0.94 + self.centres[frame],
                           self.color)]
        if self.pattern == 'ring':
            inner = self.shape * 0.55 + self.centres[frame]
            prims.append(Primitive('poly', inner, self.stripe_color))
        elif len(self.shape) == 4:
            # Bars between opposite edges stay inside the (convex) rectangle.
            a0, a1, b1, b0 = poly * 0.94 + self.centres[frame] * 0.06
            for frac in (0.25, 0.5, 0.75):
                start = a0 + (a1 - a0) * frac
                end = b0 + (b1 - b0) * frac
                width = 0.06 * float(np.linalg.norm(a1 - a0))
                prims.append(Primitive('line', np.stack([start, end]), self.stripe_color,
                                       (max(width, 1.0),)))
        return prims


def rect_shape(rng: np.random.Generator, width: float, height: float) -> np.ndarray:
    """A (slightly rotated) rectangle centred at the origin, vertices in ring order."""
    angle = rng.uniform(-0.3, 0.3)
    corners = np.array([[-width, -height], [width, -height], [width, height], [-width, height]]) / 2
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    return corners @ rot.T


def blob_shape(rng: np.random.Generator, width: float, height: float) -> np.ndarray:
    """A smooth random blob (star-shaped polygon) centred at the origin."""
    phi = np.linspace(0, 2 * np.pi, 28, endpoint=False)
    radius = np.ones_like(phi)
    for k in (2, 3, 4):
        radius += rng.uniform(0.0, 0.25 / k * 2) * np.cos(k * phi + rng.uniform(0, 2 * np.pi))
    radius = np.clip(radius, 0.5, None)
    return np.stack([np.cos(phi) * radius * width / 2, np.sin(phi) * radius * height / 2], axis=1)


# ----------------------------------------------------------------------------- blur + layers


def linear_blur_kernel(dx: float, dy: float) -> np.ndarray | None:
    """Normalised linear motion-blur kernel along ``(dx, dy)``, or None if shorter than 1.5 px.

    Args:
        dx: Motion along x during the exposure (pixels).
        dy: Motion along y during the exposure (pixels).

    Returns:
        float32 kernel centred on the current position (exposure centred on the frame time,
        so keypoint labels stay at the blur centre).
    """
    length = float(np.hypot(dx, dy))
    if length < 1.5:
        return None
    size = int(np.ceil(length)) + 3
    size += 1 - size % 2
    kernel = np.zeros((size, size), np.uint8)
    centre = (size - 1) / 2
    start = _fixed([[centre - dx / 2, centre - dy / 2]])[0]
    end = _fixed([[centre + dx / 2, centre + dy / 2]])[0]
    cv2.line(kernel, tuple(int(v) for v in start), tuple(int(v) for v in end), 255, 1,
             cv2.LINE_AA, _SHIFT)
    kernel = kernel.astype(np.float32)
    return kernel / kernel.sum()


def render_layer(shape: tuple[int, int], primitives: list[Primitive],
                 offset: tuple[float, float],
                 blur: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Draws shapes on an empty layer.

    Args:
        shape: Canvas (H, W).
        primitives: Shapes in painter's order.
        offset: World -> canvas offset.
        blur: Optional motion-blur kernel applied to colour and alpha alike.

    Returns:
        ``(premultiplied colour float32 (H, W, 3), alpha float32 (H, W) in [0, 1])``.
    """
    color = np.zeros((*shape, 3), np.uint8)
    alpha = np.zeros(shape, np.uint8)
    draw_primitives(color, primitives, offset)
    draw_primitives(alpha, primitives, offset, mask_value=255)
    color_f = color.astype(np.float32)
    alpha_f = alpha.astype(np.float32) / 255.0
    if blur is not None:
        color_f = cv2.filter2D(color_f, -1, blur, borderType=cv2.BORDER_CONSTANT)
        alpha_f = cv2.filter2D(alpha_f, -1, blur, borderType=cv2.BORDER_CONSTANT)
    return color_f, alpha_f


def composite(canvas: np.ndarray, color: np.ndarray, alpha: np.ndarray) -> None:
    """``canvas = canvas * (1 - alpha) + color`` in place (premultiplied "over")."""
    canvas *= 1.0 - alpha[..., None]
    canvas += color
