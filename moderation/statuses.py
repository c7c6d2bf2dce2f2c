"""The kinds of comment and the moderation statuses.

Apart from the models because the parsing process needs them too (see
:mod:`moderation.prepare`) and should not have to load the database layer.
"""

import enum


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    PINGBACK = "pingback"
    TRACKBACK = "trackback"


class ModerationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SPAM = "spam"
    ESCALATED = "escalated"
