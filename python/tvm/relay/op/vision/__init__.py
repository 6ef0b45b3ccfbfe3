"""Vision operators (``relay.vision``)."""
from .vision import *  # noqa: F401,F403
from .vision import __all__  # noqa: F401
from .all_class_nms import all_class_non_max_suppression  # noqa: F401

__all__ = __all__ + ["all_class_non_max_suppression"]
from .rcnn import roi_align, roi_pool, yolo_reorg, proposal  # noqa: F401,E402

__all__ = __all__ + ["roi_align", "roi_pool", "yolo_reorg", "proposal"]
