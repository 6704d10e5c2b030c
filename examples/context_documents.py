"""Ask about private documents: the daemon pseudonymizes them before anything leaves the device.

`sent_text` is exactly what went to the cloud (also recorded in the egress ledger):
the e-mail address below appears there only as a placeholder such as <EMAIL_ADDRESS_1>,
and placeholders in the cloud's answer are restored before you see it.
"""

from edge.sdk import EdgeClient

NOTE = "Patient Maria Gonzalez, email maria.gonzalez@example.com. Prescribed amoxicillin 500 mg twice daily."


def main() -> None:
    """Ask with a private note as context and show what left the device."""
    with EdgeClient() as client:
        answer = client.ask(
            "How often should the medication be taken?",
            context={"note.txt": NOTE},  # name -> text; a list of strings works too
            prefer="cloud",  # escalate, so there is something to show; "auto" lets the policy decide
            max_tokens=48,
        )
    print(answer.text)
    print(f"route={answer.route} entities={answer.entities}")
    print("sent to the cloud:")
    print(answer.sent_text or "(nothing)")


if __name__ == "__main__":
    main()
