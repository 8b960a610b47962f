# Announces the pushes made from this clone over XMPP, for hubs that cannot
# run our post-receive hook (git-annex-xmpp install-hooks --client; remove
# with git-annex-xmpp uninstall-hooks). git runs reference-transaction for
# every ref update (commit, fetch, checkout, rebase): this block reads the
# updated refs with shell built-ins and does nothing more unless a
# remote-tracking ref (refs/remotes/) changed the way a push changes one
# (see below). Only then does it read that ref's newest reflog line: git writes "update by push" there when a push
# updated it, and the line is on disk by the `committed` state (checked with
# git 2.39: `git push` by path and over ssh, `git annex sync`). A push is
# queued with the remote-side ref names, as the hub's hook would have; the
# sender is the same as the hub's. It hands stdin on to the lines below it.
# GIT_ANNEX_XMPP=0 skips it, GIT_ANNEX_XMPP_TRACE=1 traces it.
if [ "${GIT_ANNEX_XMPP:-1}" != 0 ] && [ "${1:-}" = committed ]; then
	git_annex_xmpp_hook=push
	git_annex_xmpp_stdin=
	git_annex_xmpp_tracking=
	while IFS= read -r git_annex_xmpp_line || [ -n "$git_annex_xmpp_line" ]; do
		git_annex_xmpp_stdin="${git_annex_xmpp_stdin:+$git_annex_xmpp_stdin
}$git_annex_xmpp_line"
		# A push updates its remote-tracking refs without an old-value check,
		# so git hands this hook zeros as their old value; a fetch hands the
		# real one (git 2.39: transport.c update_tracking_ref, fetch.c
		# s_update_ref). Only such lines are candidates: a fetch of known
		# branches costs no fork at all.
		case $git_annex_xmpp_line in
			*" refs/remotes/"*/*)
				case ${git_annex_xmpp_line%% *} in
					*[!0]*) ;;
					*) git_annex_xmpp_tracking="$git_annex_xmpp_tracking$git_annex_xmpp_line
" ;;
				esac ;;
		esac
	done
	unset git_annex_xmpp_line
	if [ -n "$git_annex_xmpp_tracking" ]; then (
		if [ "${GIT_ANNEX_XMPP_TRACE:-0}" = 1 ]; then set -x; fi
		# Remote-tracking reflogs live in the common git directory; found
		# without a fork unless this is a linked worktree git did not name.
		git_annex_xmpp_dir=${GIT_COMMON_DIR:-${GIT_DIR:-}}
		if [ -z "$git_annex_xmpp_dir" ]; then
			if [ -d .git ]; then git_annex_xmpp_dir=.git; else git_annex_xmpp_dir=$(git rev-parse --git-common-dir) || exit 0; fi
		fi
		cd -P "$git_annex_xmpp_dir" 2>/dev/null || exit 0
		git_annex_xmpp_repo=$PWD
		# A relative GIT_DIR means something else from here; git finds the
		# repository from its own directory, and the sender gets none of it.
		unset GIT_DIR GIT_COMMON_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_PREFIX
		# "tracking-ref-under-refs/remotes old new" for each ref a push updated.
		git_annex_xmpp_pushed=
		while read -r git_annex_xmpp_old git_annex_xmpp_new git_annex_xmpp_ref; do
			# Deleted (all zeros) or nothing: not announced.
			case $git_annex_xmpp_new in *[!0]*) ;; *) continue ;; esac
			git_annex_xmpp_last=$(tail -n 1 "logs/$git_annex_xmpp_ref" 2>/dev/null) || continue
			# git hands this hook no old value for such updates (zeros): the
			# reflog line has it, then the new one.
			case $git_annex_xmpp_last in
				*" $git_annex_xmpp_new "*"	update by push") git_annex_xmpp_old=${git_annex_xmpp_last%% *} ;;
				*) continue ;;
			esac
			git_annex_xmpp_pushed="$git_annex_xmpp_pushed${git_annex_xmpp_ref#refs/remotes/} $git_annex_xmpp_old $git_annex_xmpp_new
"
		done <<git_annex_xmpp_eof
$git_annex_xmpp_tracking
git_annex_xmpp_eof
		[ -n "$git_annex_xmpp_pushed" ] || exit 0
		# The remotes (their url) and which are git-annex repositories (their
		# annex-uuid), one fork for all. A remote's name may hold a slash: a
		# tracking ref belongs to the longest remote name it starts with, and
		# is announced only when that remote has a UUID (not when a shorter
		# name that does is a prefix of it: "nas" and "nas/usb"). Each line
		# becomes "remote old new remote-side-ref".
		git_annex_xmpp_config=$(git config --get-regexp '^remote\..*\.(url|annex-uuid)$' 2>/dev/null) || exit 0
		git_annex_xmpp_mapped=
		while read -r git_annex_xmpp_rest git_annex_xmpp_line; do
			git_annex_xmpp_remote=
			while read -r git_annex_xmpp_name git_annex_xmpp_value; do
				git_annex_xmpp_name=${git_annex_xmpp_name#remote.}
				git_annex_xmpp_name=${git_annex_xmpp_name%.*}
				case $git_annex_xmpp_rest in
					"$git_annex_xmpp_name"/?*) [ ${#git_annex_xmpp_name} -le ${#git_annex_xmpp_remote} ] || git_annex_xmpp_remote=$git_annex_xmpp_name ;;
				esac
			done <<git_annex_xmpp_eof
$git_annex_xmpp_config
git_annex_xmpp_eof
			case "
$git_annex_xmpp_config" in
				*"
remote.$git_annex_xmpp_remote.annex-uuid "[0-9A-Za-z]*) ;;
				*) continue ;;
			esac
			git_annex_xmpp_mapped="$git_annex_xmpp_mapped$git_annex_xmpp_remote $git_annex_xmpp_line refs/heads/${git_annex_xmpp_rest#"$git_annex_xmpp_remote"/}
"
		done <<git_annex_xmpp_eof
$git_annex_xmpp_pushed
git_annex_xmpp_eof
		git_annex_xmpp_pushed=$git_annex_xmpp_mapped
		[ -n "$git_annex_xmpp_pushed" ] || exit 0
@QUEUE_WRITE@
		# One entry per remote that received the push.
		git_annex_xmpp_queued=
		while [ -n "$git_annex_xmpp_pushed" ]; do
			git_annex_xmpp_remote=${git_annex_xmpp_pushed%% *}
			git_annex_xmpp_refs=
			git_annex_xmpp_others=
			while read -r git_annex_xmpp_r git_annex_xmpp_line; do
				if [ "$git_annex_xmpp_r" = "$git_annex_xmpp_remote" ]; then
					git_annex_xmpp_refs="$git_annex_xmpp_refs$git_annex_xmpp_line
"
				elif [ -n "$git_annex_xmpp_r" ]; then
					git_annex_xmpp_others="$git_annex_xmpp_others$git_annex_xmpp_r $git_annex_xmpp_line
"
				fi
			done <<git_annex_xmpp_eof
$git_annex_xmpp_pushed
git_annex_xmpp_eof
			git_annex_xmpp_pushed=$git_annex_xmpp_others
			git_annex_xmpp_enqueue "remote $git_annex_xmpp_remote
" "$git_annex_xmpp_refs" && git_annex_xmpp_queued=1
		done
		[ -z "$git_annex_xmpp_queued" ] || git_annex_xmpp_wake
	) || :; fi
	if [ -n "$git_annex_xmpp_stdin" ]; then
		exec 0<<git_annex_xmpp_eof
$git_annex_xmpp_stdin
git_annex_xmpp_eof
	fi
	unset git_annex_xmpp_hook git_annex_xmpp_stdin git_annex_xmpp_tracking
fi
