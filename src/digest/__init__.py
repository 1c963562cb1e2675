"""digest: turn articles into a newsletter digest email.

The data flows one way: sources -> articles -> briefs -> digest -> email.
"""

from digest.models import Article, Brief, Digest, RenderedEmail

__version__ = "0.1.0"
__all__ = ["Article", "Brief", "Digest", "RenderedEmail", "__version__"]
