"""Questionnaires of a campaign's own: XLSForms converted to XForms (xlsform, spec), answers
checked by the form's rules whatever the client (answers, xpath), stored typed and listed
(responses, table), and the OpenRosa documents ODK Collect and Enketo speak (openrosa)."""
