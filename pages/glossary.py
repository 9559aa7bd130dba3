"""Glossary: every term the portal uses, in plain words, each with its own anchor to link to."""

import streamlit as st

from portal import auth
from portal.wording import GLOSSARY, glossary_anchor

user = auth.require_user()

st.title("Glossary")
st.caption("Every term Greenlight's pages use, in plain words. The pages link here wherever a term appears, so "
           "each term has its own address (this page's address followed by # and the term).")

search = st.text_input("Find a term", placeholder="Canary, drift, sign-off …")
words = search.strip().casefold()
terms = sorted((t for t in GLOSSARY if words in t.casefold() or words in GLOSSARY[t].casefold()), key=str.casefold)
if not terms:
    st.info("No term matches. Clear the search to see them all.")
    st.stop()
st.caption(f"{len(terms)} of {len(GLOSSARY)} terms, from A to Z.")
for term in terms:
    st.subheader(term, anchor=glossary_anchor(term))
    st.markdown(GLOSSARY[term])
