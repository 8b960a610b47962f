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
@QUEUE_WRITE@
		# cd -P sets $PWD to the physical git directory without forking.
		cd -P "${GIT_DIR:-.}" 2>/dev/null || exit 0
		git_annex_xmpp_repo=$PWD
		if [ "$git_annex_xmpp_hook" = post-receive ]; then
			git_annex_xmpp_enqueue '' "$git_annex_xmpp_stdin" || exit 0
		else
			git_annex_xmpp_refs=
			for git_annex_xmpp_ref in "$@"; do git_annex_xmpp_refs="$git_annex_xmpp_refs$git_annex_xmpp_ref
"; done
			git_annex_xmpp_enqueue '' "$git_annex_xmpp_refs" || exit 0
		fi
		git_annex_xmpp_wake
	) || :
	if [ -n "$git_annex_xmpp_stdin" ]; then
		exec 0<<git_annex_xmpp_eof
$git_annex_xmpp_stdin
git_annex_xmpp_eof
	fi
	unset git_annex_xmpp_hook git_annex_xmpp_stdin
fi
