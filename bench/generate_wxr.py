"""Write a synthetic WordPress export (WXR 1.2) or Disqus export of any size.

For tests and benchmarks. The WXR output looks like a real export: a channel
with site metadata, posts with HTML bodies, threaded comments (some replies,
some held, some spam, the odd pingback) with authors, e-mail addresses, IPs and
GMT dates. The Disqus output lists every thread, then every post (HTML
messages, replies, some spam or deleted) in the order posted, threads
interleaved, as Disqus does. The same seed gives the same file.

    python bench/generate_wxr.py out.xml --articles 1000 --comments 200
    python bench/generate_wxr.py out.xml --articles 1000 --comments 200 --disqus
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORD_LIST = (
    "the council vote budget school road people think really should never always "
    "article great point wrong agree disagree thanks reporter story town mayor "
    "police community tax money news local years ago well said nonsense brilliant "
    "terrible excellent café naïve résumé über"
)
WORDS = tuple(WORD_LIST.split())
START = datetime(2021, 1, 1, tzinfo=UTC)

HEADER = """<?xml version="1.0" encoding="UTF-8" ?>
<rss version="2.0"
	xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:wfw="http://wellformedweb.org/CommentAPI/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:wp="http://wordpress.org/export/1.2/"
>
<channel>
	<title>Generated Gazette</title>
	<link>https://gazette.example.com</link>
	<description>Synthetic news for benchmarks</description>
	<language>en-GB</language>
	<wp:wxr_version>1.2</wp:wxr_version>
	<wp:base_site_url>https://gazette.example.com</wp:base_site_url>
	<wp:base_blog_url>https://gazette.example.com</wp:base_blog_url>
"""
FOOTER = "</channel>\n</rss>\n"


def write_wxr(
    path: str | Path,
    articles: int,
    comments_per_article: int,
    seed: int = 0,
    comment_words: int = 40,
    body: Callable[[int], tuple[str, str] | None] | None = None,
) -> Path:
    """Write a WXR file with ``articles`` posts of ``comments_per_article`` comments each.

    ``comment_words`` sets the length of each comment body, so file size and
    element count can be varied independently. ``body(comment_id)``, when given, may
    return ``(author, text)`` for a comment instead. Returns the path written.
    """
    path = Path(path)
    rng = random.Random(seed)
    comment_id = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER)
        for post_id in range(1, articles + 1):
            published = START + timedelta(hours=post_id)
            out.write(_item_head(rng, post_id, published))
            first_id_in_post = comment_id + 1
            for _ in range(comments_per_article):
                comment_id += 1
                parent = 0
                if comment_id > first_id_in_post and rng.random() < 0.3:
                    parent = rng.randrange(first_id_in_post, comment_id)
                posted = published + timedelta(minutes=comment_id % 5000)
                chosen = body(comment_id) if body else None
                out.write(_comment(rng, comment_id, parent, posted, comment_words, chosen))
            out.write("\t</item>\n")
        out.write(FOOTER)
    return path


def _sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(WORDS, k=words)).capitalize() + "."


def _item_head(rng: random.Random, post_id: int, published: datetime) -> str:
    slug = f"story-{post_id}"
    paragraphs = "".join(f"<p>{_sentence(rng, 30)}</p>\n" for _ in range(3))
    body = f'{paragraphs}<p>More at <a href="https://gazette.example.com/more">our site</a>.</p>'
    return f"""	<item>
		<title>Story number {post_id}</title>
		<link>https://gazette.example.com/{slug}/</link>
		<pubDate>{published.strftime("%a, %d %b %Y %H:%M:%S +0000")}</pubDate>
		<dc:creator><![CDATA[reporter{post_id % 7}]]></dc:creator>
		<guid isPermaLink="false">https://gazette.example.com/?p={post_id}</guid>
		<description></description>
		<content:encoded><![CDATA[{body}]]></content:encoded>
		<excerpt:encoded><![CDATA[]]></excerpt:encoded>
		<wp:post_id>{post_id}</wp:post_id>
		<wp:post_date><![CDATA[{published:%Y-%m-%d %H:%M:%S}]]></wp:post_date>
		<wp:post_date_gmt><![CDATA[{published:%Y-%m-%d %H:%M:%S}]]></wp:post_date_gmt>
		<wp:comment_status><![CDATA[open]]></wp:comment_status>
		<wp:post_name><![CDATA[{slug}]]></wp:post_name>
		<wp:status><![CDATA[publish]]></wp:status>
		<wp:post_parent>0</wp:post_parent>
		<wp:post_type><![CDATA[post]]></wp:post_type>
		<category domain="category" nicename="news"><![CDATA[News]]></category>
"""


def _comment(
    rng: random.Random,
    comment_id: int,
    parent: int,
    posted: datetime,
    words: int,
    chosen: tuple[str, str] | None = None,
) -> str:
    kind = "pingback" if rng.random() < 0.01 else ""
    approved = rng.choices(["1", "0", "spam"], weights=[90, 5, 5])[0]
    author = f"reader{rng.randrange(5000)}"
    body = _sentence(rng, words)
    if rng.random() < 0.3:
        body += "\n\n" + _sentence(rng, max(1, words // 2))
    if chosen is not None:
        kind = ""
        author, body = chosen
    return f"""		<wp:comment>
			<wp:comment_id>{comment_id}</wp:comment_id>
			<wp:comment_author><![CDATA[{author}]]></wp:comment_author>
			<wp:comment_author_email><![CDATA[{author}@mail.example.net]]></wp:comment_author_email>
			<wp:comment_author_url>https://{author}.example.org/</wp:comment_author_url>
			<wp:comment_author_IP><![CDATA[203.0.113.{comment_id % 250}]]></wp:comment_author_IP>
			<wp:comment_date><![CDATA[{posted:%Y-%m-%d %H:%M:%S}]]></wp:comment_date>
			<wp:comment_date_gmt><![CDATA[{posted:%Y-%m-%d %H:%M:%S}]]></wp:comment_date_gmt>
			<wp:comment_content><![CDATA[{body}]]></wp:comment_content>
			<wp:comment_approved><![CDATA[{approved}]]></wp:comment_approved>
			<wp:comment_type><![CDATA[{kind}]]></wp:comment_type>
			<wp:comment_parent>{parent}</wp:comment_parent>
			<wp:comment_user_id>0</wp:comment_user_id>
		</wp:comment>
"""


DISQUS_HEADER = """<?xml version="1.0" encoding="utf-8"?>
<disqus xmlns="http://disqus.com" xmlns:dsq="http://disqus.com/disqus-internals" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" \
xsi:schemaLocation="http://disqus.com/api/schemas/1.0/disqus.xsd \
http://disqus.com/api/schemas/1.0/disqus-internals.xsd">
  <category dsq:id="1">
    <forum>generated-gazette</forum>
    <title>General</title>
    <isDefault>true</isDefault>
  </category>
"""


def write_disqus(
    path: str | Path,
    threads: int,
    posts_per_thread: int,
    seed: int = 0,
    post_words: int = 40,
) -> Path:
    """Write a Disqus export with ``threads`` threads of ``posts_per_thread`` posts each.

    Post ``n`` (from 1) belongs to thread ``(n - 1) % threads + 1``, so threads
    are interleaved as in a real export. Returns the path written.
    """
    path = Path(path)
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(DISQUS_HEADER)
        for thread_id in range(1, threads + 1):
            out.write(_disqus_thread(rng, thread_id))
        posts_so_far: list[list[int]] = [[] for _ in range(threads)]
        for post_id in range(1, threads * posts_per_thread + 1):
            thread_index = (post_id - 1) % threads
            earlier = posts_so_far[thread_index]
            parent = rng.choice(earlier) if earlier and rng.random() < 0.3 else None
            earlier.append(post_id)
            out.write(_disqus_post(rng, post_id, thread_index + 1, parent, post_words))
        out.write("</disqus>\n")
    return path


def _disqus_thread(rng: random.Random, thread_id: int) -> str:
    created = START + timedelta(hours=thread_id)
    return f"""  <thread dsq:id="{thread_id}">
    <id>{thread_id} https://gazette.example.com/?p={thread_id}</id>
    <forum>generated-gazette</forum>
    <category dsq:id="1" />
    <link>https://gazette.example.com/story-{thread_id}/</link>
    <title>Story number {thread_id}</title>
    <message><![CDATA[<p>{_sentence(rng, 30)}</p>]]></message>
    <createdAt>{created:%Y-%m-%dT%H:%M:%SZ}</createdAt>
    <author>
      <name>Reporter {thread_id % 7}</name>
      <isAnonymous>false</isAnonymous>
      <username>reporter{thread_id % 7}</username>
    </author>
    <isClosed>false</isClosed>
    <isDeleted>false</isDeleted>
  </thread>
"""


def _disqus_post(
    rng: random.Random, post_id: int, thread_id: int, parent: int | None, words: int
) -> str:
    posted = START + timedelta(hours=thread_id, minutes=post_id % 5000)
    author = f"reader{rng.randrange(5000)}"
    message = f"<p>{_sentence(rng, words)}</p>"
    if rng.random() < 0.3:
        message += f"<p>{_sentence(rng, max(1, words // 2))}</p>"
    if rng.random() < 0.1:
        message += '<p>See <a href="https://example.net/source" rel="nofollow">this</a>.</p>'
    spam, deleted = rng.choices(["false", "true"], weights=[95, 5], k=2)
    parent_line = f'\n    <parent dsq:id="{parent}" />' if parent else ""
    return f"""  <post dsq:id="{post_id}">
    <id />
    <message><![CDATA[{message}]]></message>
    <createdAt>{posted:%Y-%m-%dT%H:%M:%SZ}</createdAt>
    <isDeleted>{deleted}</isDeleted>
    <isSpam>{spam}</isSpam>
    <author>
      <email>{author}@mail.example.net</email>
      <name>{author.capitalize()}</name>
      <isAnonymous>false</isAnonymous>
      <username>{author}</username>
    </author>
    <ipAddress>203.0.113.{post_id % 250}</ipAddress>
    <thread dsq:id="{thread_id}" />{parent_line}
  </post>
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=200, help="comments per article")
    parser.add_argument("--words", type=int, default=40, help="words per comment")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--disqus", action="store_true", help="a Disqus export instead")
    args = parser.parse_args()
    write = write_disqus if args.disqus else write_wxr
    written = write(args.path, args.articles, args.comments, args.seed, args.words)
    print(f"{written}: {written.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
