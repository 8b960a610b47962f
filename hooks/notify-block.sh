# Announces this push over XMPP (git-annex-xmpp install-hooks; remove with
# git-annex-xmpp uninstall-hooks). It only writes the push to the user's
# announcement queue and returns: no node, no network in the push's path.
# The user's agent (git-annex-xmpp listen) sends it; when none runs, one
# detached sender is started that cannot hold the push. It leaves the rest
# of this hook as it was: it never exits, and hands the hook's stdin on to
# the lines below it (git-annex's own post-receive may read it).
# GIT_ANNEX_XMPP=0 skips it, GIT_ANNEX_XMPP_TRACE=1 traces it.
if [ "${GIT_ANNEX_XMPP:-1}" != 0 ]; then
	git_annex_xmpp_hook=@HOOK@
	git_annex_xmpp_stdin=
	if [ "$git_annex_xmpp_hook" = post-receive ]; then
		# Shell built-ins only: no fork for reading a few lines.
		while IFS= read -r git_annex_xmpp_line || [ -n "$git_annex_xmpp_line" ]; do
			git_annex_xmpp_stdin="${git_annex_xmpp_stdin:+$git_annex_xmpp_stdin
}$git_annex_xmpp_line"
		done
		unset git_annex_xmpp_line
	fi
	(
		if [ "${GIT_ANNEX_XMPP_TRACE:-0}" = 1 ]; then set -x; fi
		# The queue is per user: $XDG_STATE_HOME/git-annex-xmpp/queue (an
		# XDG_STATE_HOME that is not absolute is ignored, as the spec says).
		case ${XDG_STATE_HOME:-} in
			/*) git_annex_xmpp_state=$XDG_STATE_HOME/git-annex-xmpp ;;
			*) git_annex_xmpp_state=${HOME:-/nonexistent}/.local/state/git-annex-xmpp ;;
		esac
		git_annex_xmpp_queue=$git_annex_xmpp_state/queue
		[ -d "$git_annex_xmpp_queue" ] || (umask 077 && mkdir -p "$git_annex_xmpp_queue") || exit 0
		# cd -P sets $PWD to the physical git directory without forking.
		cd -P "${GIT_DIR:-.}" 2>/dev/null || exit 0
		# noclobber: each entry file is created new (O_EXCL), never shared.
		set -C
		git_annex_xmpp_n=0
		until { : >"$git_annex_xmpp_queue/e.$$.$git_annex_xmpp_n"; } 2>/dev/null; do
			git_annex_xmpp_n=$((git_annex_xmpp_n + 1))
			[ "$git_annex_xmpp_n" -lt 1000 ] || exit 0
		done
		# The entry counts once its last line, "end", is there.
		{
			printf 'git-annex-xmpp-queue 1\nhook %s\nrepo %s\n\n' "$git_annex_xmpp_hook" "$PWD"
			if [ "$git_annex_xmpp_hook" = post-receive ]; then
				printf '%s\n' "$git_annex_xmpp_stdin"
			else
				for git_annex_xmpp_ref in "$@"; do printf '%s\n' "$git_annex_xmpp_ref"; done
			fi
			printf 'end\n'
		} >>"$git_annex_xmpp_queue/e.$$.$git_annex_xmpp_n" || exit 0
		# An agent or a sender holds the queue lock: it sees the entry by itself.
		git_annex_xmpp_pid=
		{ read -r git_annex_xmpp_pid <"$git_annex_xmpp_state/queue.lock"; } 2>/dev/null || :
		case $git_annex_xmpp_pid in
			'' | *[!0-9]*) ;;
			*) if kill -0 "$git_annex_xmpp_pid" 2>/dev/null; then exit 0; fi ;;
		esac
		# None: start one sender, detached from the push (its own session,
		# no descriptor of ours), so that even an ssh push returns at once.
		if @CLI_PRESENT@; then
			set -- @CLI@
		elif command -v git-annex-xmpp >/dev/null 2>&1; then
			set -- git-annex-xmpp
		else
			exit 0
		fi
		if command -v setsid >/dev/null 2>&1; then
			setsid -f "$@" flush --background </dev/null >/dev/null 2>&1
		else
			("$@" flush --background </dev/null >/dev/null 2>&1 &)
		fi
	) || :
	if [ -n "$git_annex_xmpp_stdin" ]; then
		exec 0<<git_annex_xmpp_eof
$git_annex_xmpp_stdin
git_annex_xmpp_eof
	fi
	unset git_annex_xmpp_hook git_annex_xmpp_stdin
fi
