#!/usr/bin/env bash
# A real WordPress on loopback for the sync tests (moderation sync wordpress).
#
# Installs Debian's wordpress, php-cli and mariadb-server when missing, starts a throwaway
# MariaDB (unix socket only) and PHP's built-in web server on 127.0.0.1, installs a site with
# an administrator, an application password, a post and comments (some held), and prints
#     MODERATION_TEST_WORDPRESS_URL=... _USER=... _APP_PASSWORD=... MODERATION_TEST_WORDPRESS_PIDS=...
# as shell assignments, for `eval "$(bash .ci/wordpress.sh)"`. Progress goes to standard error.
# Stop it with: kill $MODERATION_TEST_WORDPRESS_PIDS. WORDPRESS_PORT chooses the port (default:
# a free one).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# One site a machine: its config file is /etc/wordpress/config-127.0.0.1.php.
port=${WORDPRESS_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
host=127.0.0.1
started=$(date +%s)
say() { echo "wordpress.sh: $*" >&2; }

missing=()
for package in wordpress php-cli php-mysql mariadb-server; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt-get update -qq >&2
    # Without recommends: no Apache (PHP's own server is enough) and no themes (the REST API
    # needs none).
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

state=$(mktemp -d /tmp/moderation-wordpress.XXXXXX)
chmod 755 "$state"
# MariaDB runs as mysql: its data, socket and log in a folder of its own.
mkdir "$state/db" "$state/run"
chown mysql:mysql "$state/db" "$state/run"
socket=$state/run/mysqld.sock
mariadb-install-db --user=mysql --datadir="$state/db" --auth-root-authentication-method=socket \
    --skip-test-db >/dev/null 2>&1
# No TCP at all: PHP reaches it through the socket.
mariadbd --user=mysql --datadir="$state/db" --socket="$socket" --skip-networking \
    --pid-file="$state/run/mysqld.pid" --log-error="$state/run/mysqld.log" \
    --innodb-flush-log-at-trx-commit=0 --innodb-buffer-pool-size=32M >/dev/null 2>&1 &
db_pid=$!
for _ in $(seq 300); do
    [ -S "$socket" ] && break
    sleep 0.1
done
[ -S "$socket" ] || { say "MariaDB did not start: $(tail -n 5 "$state/run/mysqld.log")"; exit 1; }
db_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
mariadb --socket="$socket" -u root <<SQL
CREATE DATABASE wordpress;
CREATE USER 'wordpress'@'localhost' IDENTIFIED BY '$db_password';
GRANT ALL ON wordpress.* TO 'wordpress'@'localhost';
SQL

# Debian's wp-config.php reads /etc/wordpress/config-<host>.php, the port left out.
# 'local' lets application passwords work over plain http.
cat >"/etc/wordpress/config-$host.php" <<PHP
<?php
define('DB_NAME', 'wordpress');
define('DB_USER', 'wordpress');
define('DB_PASSWORD', '$db_password');
define('DB_HOST', 'localhost:$socket');
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
define('WP_HOME', 'http://$host:$port');
define('WP_SITEURL', 'http://$host:$port');
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
PHP

# Pretty URLs (/wp-json/...) under PHP's server: files are served, the rest goes to WordPress.
cat >"$state/router.php" <<'PHP'
<?php
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if ($path !== '/' && file_exists('/usr/share/wordpress' . $path) && !is_dir('/usr/share/wordpress' . $path)) {
    return false;
}
$_SERVER['SCRIPT_NAME'] = '/index.php';
require '/usr/share/wordpress/index.php';
PHP

admin_password=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
HTTP_HOST="$host:$port" ADMIN_PASSWORD="$admin_password" php -d display_errors=stderr -d sendmail_path=/bin/true <<'PHP' >"$state/install.out"
<?php
// The installer's functions, as wp-admin/install.php calls them, without a browser.
$_SERVER['HTTP_HOST'] = getenv('HTTP_HOST');
$_SERVER['REQUEST_URI'] = '/';
define('WP_INSTALLING', true);
require '/usr/share/wordpress/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
$result = wp_install('Moderation test site', 'editor', 'editor@example.org', false, '',
                     getenv('ADMIN_PASSWORD'));
update_option('permalink_structure', '/%postname%/');
update_option('comment_moderation', 1);  // new comments are held, as on a moderated site
$user_id = $result['user_id'];
wp_set_current_user($user_id);
[$app_password] = WP_Application_Passwords::create_new_application_password(
    $user_id, ['name' => 'moderation sync']);
$post_id = wp_insert_post([
    'post_title' => 'Council approves the new bridge',
    'post_content' => '<p>The council voted to build a bridge over the river.</p>',
    'post_status' => 'publish', 'post_author' => $user_id,
]);
$first = wp_insert_comment([
    'comment_post_ID' => $post_id, 'comment_author' => 'Ann',
    'comment_author_email' => 'ann@example.org',
    'comment_content' => 'The bridge will shorten my commute a lot.', 'comment_approved' => 1,
]);
wp_insert_comment([
    'comment_post_ID' => $post_id, 'comment_author' => 'Bob', 'comment_parent' => $first,
    'comment_content' => 'Who pays for the bridge, though?', 'comment_approved' => 0,
]);
wp_insert_comment([
    'comment_post_ID' => $post_id, 'comment_author' => 'Cheap pills',
    'comment_content' => 'Buy cheap pills at http://pills.example', 'comment_approved' => 0,
]);
echo $app_password, "\n";
PHP
app_password=$(tail -n 1 "$state/install.out")

php -S "$host:$port" -t /usr/share/wordpress "$state/router.php" >"$state/php.log" 2>&1 &
web_pid=$!
url="http://$host:$port"
for _ in $(seq 300); do
    curl -fsS -o /dev/null "$url/wp-json/" 2>/dev/null && break
    sleep 0.1
done
curl -fsS -o /dev/null -u "editor:$app_password" "$url/wp-json/wp/v2/comments?status=hold&context=edit" \
    || { say "WordPress does not answer at $url: $(tail -n 5 "$state/php.log")"; exit 1; }

say "ready at $url in $(($(date +%s) - started)) s (state in $state)"
echo "export MODERATION_TEST_WORDPRESS_URL=$url"
echo "export MODERATION_TEST_WORDPRESS_USER=editor"
echo "export MODERATION_TEST_WORDPRESS_APP_PASSWORD='$app_password'"
echo "export MODERATION_TEST_WORDPRESS_PIDS='$web_pid $db_pid'"
