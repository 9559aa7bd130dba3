"""The audit log: every state change, deployment, sign-off, condition, account and policy change."""

import streamlit as st

from portal import audit_view, auth, data, signoff_data
from portal.errors import errors_shown
from portal.signoff_wording import AUDIT_KINDS

user = auth.require_user()

st.title("Audit log")
st.caption("Everything that happened in Greenlight, newest first: who did what, to which model, and when. Entries "
           "cannot be changed unnoticed: each one carries a fingerprint of the one before it and a signature made "
           "with a key kept outside the database, and a signed checkpoint of the newest entry is kept outside the "
           "database too, so an edited, inserted or deleted entry, or a cut or wiped log, shows up here.")
if st.button("Check the chain now", icon=":material/verified:",
             help="Checks every entry's fingerprint and signature from the first to the last, compares the log with "
                  "its checkpoint outside the database, and replays it against each version's state, aliases, "
                  "sign-offs and conditions (`greenlight audit verify` does the same from the command line)."):
    with errors_shown():
        passed, message = audit_view.chain_check_message(data.get_app().registry.verify_audit())
        if passed:
            st.success(message, icon=":material/verified:")
        else:
            st.error(message, icon=":material/gpp_bad:")

with errors_shown():
    models = [m.name for m in data.list_models()]
    by_model, by_kind, by_actor, how_many = st.columns([2, 2, 2, 1])
    model = by_model.selectbox("Model", [None, *models], format_func=lambda m: "All models" if m is None else m)
    kind = by_kind.selectbox("What", list(AUDIT_KINDS), format_func=AUDIT_KINDS.get)
    actor = by_actor.text_input("Who", placeholder="Part of a user name")
    limit = how_many.selectbox("Newest", audit_view.LIMITS, index=1, format_func=lambda n: f"{n:,} entries")

    newest = signoff_data.audit_entries(model=model, prefix=kind, limit=limit)
    entries = audit_view.filter_by_actor(newest, actor)
    if not entries:
        st.info("No entry matches these filters.", icon=":material/filter_alt_off:")
        st.stop()
    more = len(newest) == limit
    st.caption(f"{len(entries):,} entries" + (f", from the newest {limit:,}; choose a larger number to look further "
                                              "back" if more else "") + ".")
    st.dataframe(audit_view.audit_table(entries), hide_index=True, width="stretch",
                 column_config={"Details": st.column_config.TextColumn(width="large")})
    st.download_button("Download these entries as CSV", data=audit_view.audit_csv(entries),
                       file_name="greenlight-audit-log.csv", mime="text/csv", icon=":material/download:",
                       help="Every field exactly as stored, including each entry's details and fingerprint.")
