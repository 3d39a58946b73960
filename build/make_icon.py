"""Render the program icon once: the character 填 in white on a green rounded square (PNG and Windows ICO).

Run from the repository root with ``.venv/bin/python build/make_icon.py``; the results are committed in
``resources/icons/`` so a build needs neither this script nor Pillow.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
FONT = ROOT / "resources" / "fonts" / "wqy-microhei.ttc"
OUT = ROOT / "resources" / "icons"
SIZE = 256
GREEN = (46, 125, 50, 255)


def render(size: int = SIZE) -> Image.Image:
    scale = 4  # draw large and scale down for smooth edges
    big = size * scale
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = big // 32
    draw.rounded_rectangle((margin, margin, big - margin, big - margin), radius=big // 5, fill=GREEN)
    font = ImageFont.truetype(str(FONT), int(big * 0.66), index=0)
    draw.text((big / 2, big / 2), "填", font=font, fill="white", anchor="mm")
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    image = render()
    image.save(OUT / "tianbao.png", optimize=True)
    image.save(OUT / "tianbao.ico", sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)])


if __name__ == "__main__":
    main()
