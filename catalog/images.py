"""Pictures served at the size a phone needs: smaller JPEG renditions made once at upload.

A 2.7 MB phone photo becomes renditions 320, 640 and 1024 pixels wide, named
after the original ("bag.jpg" -> "bag.w640.jpg"); pages offer them with srcset.
"""

import io
import logging
import posixpath

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from preorder_shop.storage import storage_trouble

logger = logging.getLogger(__name__)
RENDITION_WIDTHS = (320, 640, 1024)


def rendition_name(name: str, width: int) -> str:
    root, _extension = posixpath.splitext(name)
    return f"{root}.w{width}.jpg"


def image_renditions_make(field_file) -> list[int]:
    """Write the renditions of an uploaded picture; returns the widths made (none for a broken file)."""
    storage = field_file.storage
    try:
        field_file.open("rb")
        with Image.open(field_file) as original:
            picture = ImageOps.exif_transpose(original)
            picture = picture.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        if storage_trouble(error):
            raise  # the storage failed, not the picture: the upload is refused as a whole
        logger.warning("No renditions for %s: not a readable picture.", field_file.name)
        return []
    finally:
        field_file.close()
    made = []
    for width in RENDITION_WIDTHS:
        if width >= picture.width and made:
            break  # no upscaling; the original serves the largest screens
        copy = picture.copy()
        copy.thumbnail((width, width * 4))
        output = io.BytesIO()
        copy.save(output, format="JPEG", quality=80, optimize=True, progressive=True)
        name = rendition_name(field_file.name, width)
        if storage.exists(name):
            storage.delete(name)
        storage.save(name, ContentFile(output.getvalue()))
        made.append(width)
    return made
