# Announces this push over XMPP (git-annex-xmpp install-hooks; remove with
# git-annex-xmpp uninstall-hooks). It leaves the rest of this hook as it was:
# it never exits, ignores notify's exit status, and hands the hook's stdin on
# to the lines below it (git-annex's own post-receive may read it).
# GIT_ANNEX_XMPP=0 skips it, GIT_ANNEX_XMPP_TRACE=1 traces it,
# GIT_ANNEX_XMPP_TIMEOUT (milliseconds, default 5000) bounds it.
if [ "${GIT_ANNEX_XMPP:-1}" != 0 ]; then
	git_annex_xmpp_hook=@HOOK@
	git_annex_xmpp_stdin=
	if [ "$git_annex_xmpp_hook" = post-receive ]; then
		git_annex_xmpp_stdin=$(cat) || :
	fi
	(
		if [ "${GIT_ANNEX_XMPP_TRACE:-0}" = 1 ]; then set -x; fi
		if @CLI_PRESENT@; then
			git_annex_xmpp() { @CLI@ "$@"; }
		elif command -v git-annex-xmpp >/dev/null 2>&1; then
			git_annex_xmpp() { git-annex-xmpp "$@"; }
		else
			git_annex_xmpp() { return 0; }
		fi
		# In this subshell only; cd -P sets $PWD without forking a $(pwd -P).
		if cd -P "${GIT_DIR:-.}" 2>/dev/null; then git_annex_xmpp_repo=$PWD; else git_annex_xmpp_repo=.; fi
		if [ "$git_annex_xmpp_hook" = post-receive ]; then
			git_annex_xmpp notify --hook post-receive --repo "$git_annex_xmpp_repo" \
				--timeout "${GIT_ANNEX_XMPP_TIMEOUT:-5000}" <<git_annex_xmpp_eof
$git_annex_xmpp_stdin
git_annex_xmpp_eof
		else
			git_annex_xmpp notify --hook "$git_annex_xmpp_hook" --repo "$git_annex_xmpp_repo" \
				--timeout "${GIT_ANNEX_XMPP_TIMEOUT:-5000}" -- "$@" </dev/null
		fi
	) || :
	if [ -n "$git_annex_xmpp_stdin" ]; then
		exec 0<<git_annex_xmpp_eof
$git_annex_xmpp_stdin
git_annex_xmpp_eof
	fi
	unset git_annex_xmpp_hook git_annex_xmpp_stdin
fi
