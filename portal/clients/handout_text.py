"""The standard wording of the hand-outs, written for this portal in plain English.

Each hand-out is a title and its sections; a section has a heading (or none, for the opening
words) and blocks, each a paragraph or a bulleted list. A service's own wording, saved by its
admin (portal/clients/handouts.py), has the same shape and replaces this one when printed.
The facts follow the FAMA guidance; the words are our own.
"""

from __future__ import annotations

from typing import Any

Block = dict[str, Any]
Section = dict[str, Any]


def _p(text: str) -> Block:
    return {"kind": "p", "text": text}


def _list(*items: str) -> Block:
    return {"kind": "list", "items": list(items)}


def _section(heading: str, *blocks: Block) -> Section:
    return {"heading": heading, "blocks": list(blocks)}


WHAT_MUTUAL_AID_IS = [
    _section(
        "",
        _p(
            "Mutual aid means people helping each other. In a mutual aid group, people who want "
            "to stop or cut down on drink or drugs meet up and support each other."
        ),
    ),
    _section(
        "Who can go",
        _p(
            "Anyone who wants to change their drinking or drug use. You do not need to have "
            "stopped already. Some people go when they are only thinking about it. Others have "
            "been going for years."
        ),
    ),
    _section(
        "The kinds of group",
        _list(
            "12-step groups, such as Alcoholics Anonymous (AA), Narcotics Anonymous (NA) and "
            "Cocaine Anonymous (CA). Members follow 12 steps to recovery.",
            "SMART Recovery. Meetings teach practical tools to help you cope with cravings, "
            "thoughts and feelings.",
            "Local recovery groups, set up by people in recovery in your area.",
            "Groups for family and friends, such as Al-Anon. These help the people close to "
            "someone who drinks or uses drugs.",
        ),
    ),
    _section(
        "What the groups share",
        _list(
            "They are free.",
            "They are run by their members, not by doctors or the council.",
            "Most aim to help you stop completely, not just cut down.",
            "Members keep what is said in the group private.",
        ),
    ),
    _section(
        "Where they meet",
        _p(
            "Groups meet in places like church halls and community centres, and online. Many "
            "meet at the same time each week. Your keyworker can help you find one that suits "
            "you."
        ),
    ),
]

WHY_IT_HELPS = [
    _section(
        "",
        _p(
            "Going to a mutual aid group can make it more likely that you stay well. This "
            "hand-out says why."
        ),
    ),
    _section(
        "What we know",
        _list(
            "People who go to groups, and take part, are more likely to stay off drink or drugs.",
            "Groups lower the chance of going back to old habits after treatment ends.",
            "Groups work well alongside the support you get from us. You do not have to choose "
            "one or the other.",
        ),
    ),
    _section(
        "Taking part matters",
        _p(
            "Just turning up helps a little. Taking part helps more. That could mean saying hello "
            "to people, talking in the meeting when you feel ready, or helping to set out the "
            "chairs."
        ),
    ),
    _section(
        "What people say they get from it",
        _list(
            "People who understand, because they have been there too.",
            "Somewhere to go at times that can be hard, such as evenings and weekends.",
            "New friends who do not drink or use drugs.",
            "Ideas that have worked for other people.",
            "Support that does not stop when treatment stops. Groups are there for as long as "
            "you want them.",
        ),
    ),
    _section(
        "Help for family and friends",
        _p(
            "Drink and drugs affect the people around you too. Some groups are just for partners, "
            "family and friends. Ask your keyworker if someone close to you would like to know "
            "more."
        ),
    ),
]

GOING_TO_MEETINGS = [
    _section(
        "What happens at a meeting",
        _p(
            "Most meetings last about an hour, sometimes a little longer. People sit together, "
            "often in a circle, and one person leads. People take turns to say how things are "
            "going. You can just listen. Nobody will make you speak."
        ),
        _p(
            "Open meetings are for anyone. Closed meetings are only for people who want to stop "
            "drinking or using themselves. Your keyworker can tell you which is which."
        ),
    ),
    _section(
        "What it costs",
        _p(
            "Meetings are free. Near the end, a pot or bag may be passed round to help pay for "
            "the room and the tea. You do not have to put anything in. Nobody will mind."
        ),
    ),
    _section(
        "Finding the room",
        _list(
            "Ask your keyworker for the address and for directions on foot, by bus or by car.",
            "Some rooms are hard to find, for example at the back of a church. Set off early so "
            "you have time to look.",
            "Look for a sign or the group's name on the door.",
        ),
    ),
    _section(
        "Getting there for less",
        _list(
            "Walk or cycle if you can.",
            "A weekly bus ticket can cost less if you go to several meetings.",
            "Once you know people, someone may offer you a lift. It is fine to ask.",
            "Online meetings cost nothing to get to.",
        ),
    ),
    _section(
        "Going often",
        _p(
            "If you are new, or coming back after a break, try to go to as many meetings as you "
            "can at first. You may need to plan your week around them, and talk this through "
            "with the people you live with."
        ),
        _p(
            "When life gets better, it is easy to feel you no longer need meetings. If you notice "
            "this, talk about it at a meeting or with your keyworker."
        ),
    ),
    _section(
        "Going with someone",
        _p(
            "If you feel nervous, you do not have to go alone. Ask your keyworker about a peer "
            "volunteer who can meet you and go in with you."
        ),
    ),
]

JOINING_A_GROUP = [
    _section(
        "",
        _p(
            "After a few meetings, you might want to join a group. This is up to you. Go at your "
            "own pace."
        ),
    ),
    _section(
        "How to join",
        _p(
            "There are no forms and nothing to pay. All you need is a wish to stop drinking or "
            "using. You decide when you are a member. Nobody else does."
        ),
    ),
    _section(
        "A home group",
        _p(
            "Many people choose one meeting to go to every week. This is called a home group. "
            "Going to the same group each week can help you to:"
        ),
        _list(
            "get to know people and feel part of the group",
            "keep going on days when you do not feel like it, because people expect to see you",
            "show yourself and others that you mean it",
        ),
    ),
    _section(
        "Sponsors",
        _p(
            "In 12-step groups, a sponsor is a member further on in recovery who helps a newer "
            "member one to one. Your home group is a good place to find one. When you are ready, "
            "ask someone you trust. SMART Recovery has no sponsors, but members still help each "
            "other."
        ),
    ),
    _section(
        "Getting involved",
        _p(
            "You can help in small ways, such as making the tea, setting out chairs or welcoming "
            "new people. Later you might read at the meeting or tell your story. How much you do "
            "is your choice."
        ),
    ),
    _section(
        "Swapping numbers",
        _p(
            "Many members swap phone numbers so they can call each other between meetings. Only "
            "share your number if you want to."
        ),
    ),
    _section(
        "Online groups",
        _p(
            "Most large groups also run meetings and chat groups online. These can help when you "
            "cannot get out. Talk to your keyworker about whether they are right for you."
        ),
    ),
]

WORRIES_AND_WHAT_HELPS = [
    _section(
        "",
        _p(
            "Lots of people feel worried before their first meetings. Here are some common "
            "worries, and what can help."
        ),
    ),
    _section(
        "Everyone seems to know each other",
        _p(
            "A group can look close when you are new. Most people there felt shy at first. Say "
            "hello to one person, or offer to help with the tea. It gets easier each time."
        ),
    ),
    _section(
        "They all seem happy, and I am not",
        _p(
            "Everyone there was new once, and many felt as low as you do now. Tell someone how "
            "you feel. They will understand."
        ),
    ),
    _section(
        "I do not like groups",
        _p("Being in a group is a skill, and skills take practice. You can just listen at first."),
    ),
    _section(
        "I do not know how to introduce myself",
        _p(
            "You do not have to call yourself anything. You can say \u201cHi, I\u2019m Sam. This "
            "is my first meeting\u201d, or just your first name. You can also say nothing."
        ),
    ),
    _section(
        "There is too much talk of God",
        _p(
            "12-step groups talk about a \u201chigher power\u201d, but you decide what that means "
            "to you. Many members do not believe in God. SMART Recovery does not talk about God "
            "at all."
        ),
    ),
    _section(
        "I am not as bad as them",
        _p(
            "Some stories are hard to hear. Listen for the feelings you share, not for the things "
            "that are different."
        ),
    ),
    _section(
        "They are not like me",
        _p(
            "Members come from all walks of life and all ages. What you share is wanting to stay "
            "well. Try a few groups to find one where you feel at home."
        ),
    ),
    _section(
        "I do not know how to join",
        _p("There is nothing to sign. If you want to stop, you are welcome. See hand-out 4."),
    ),
    _section(
        "Are these people for real?",
        _p(
            "The warmth can seem strange at first. Helping newer members is part of how members "
            "stay well themselves."
        ),
    ),
    _section(
        "If a worry stops you going",
        _p("Talk to your keyworker. Together you can find a way round it."),
    ),
]

GROUPS_NEAR_YOU = [
    _section(
        "",
        _p(
            "Here are some mutual aid meetings you could try. They are free, and you do not need "
            "to book."
        ),
    ),
    _section(
        "Before you go",
        _list(
            "Check the day and time with your keyworker. Groups sometimes move or take a break.",
            "Ask your keyworker for directions, or for someone to go with you.",
            "For an online meeting you need a phone, tablet or computer with the internet.",
        ),
    ),
    _section(
        "Reading the list",
        _list(
            "Open means anyone can go, even a friend who comes with you.",
            "Closed means the meeting is only for people who want to stop drinking or using "
            "themselves.",
            "Online means you join on a phone, tablet or computer. Your keyworker can give you "
            "the link.",
        ),
    ),
    _section(
        "Choosing one",
        _p(
            "You do not have to stay with the first meeting you try. Every group feels a little "
            "different. Try two or three before you decide. If none of these suit you, ask your "
            "keyworker about others."
        ),
    ),
]

CHOOSING_A_GROUP = [
    _section(
        "",
        _p(
            "There are different kinds of mutual aid group, and each suits different people. "
            "Here are some reasons people choose each one, and some things people find harder. "
            "You can try more than one."
        ),
    ),
    _section(
        "12-step groups, such as AA, NA and CA",
        _p("Members work through 12 steps, often with help from a sponsor."),
        _p("Reasons people choose them:"),
        _list(
            "There are lots of meetings, on most days of the week.",
            "You hear from people who have been where you are.",
            "A sponsor can give you one-to-one support.",
        ),
        _p("Things some people find harder:"),
        _list(
            "There is talk of God or a higher power.",
            "Most groups ask you to aim to stop completely.",
        ),
    ),
    _section(
        "SMART Recovery",
        _p("Meetings teach practical tools to help you change how you think and act."),
        _p("Reasons people choose it:"),
        _list(
            "There is no talk of God or a higher power.",
            "You learn skills you can use every day.",
            "It is for any kind of addiction.",
        ),
        _p("Things some people find harder:"),
        _list(
            "There are fewer meetings, so you may need to travel or go online.",
            "There are no sponsors.",
        ),
    ),
    _section(
        "Local recovery groups",
        _p("Groups set up by people in recovery in your area. Each one is different."),
        _p("Reasons people choose them:"),
        _list(
            "They are close to home.",
            "Many have social events, such as walks, meals or sport.",
        ),
        _p("Things some people find harder:"),
        _list(
            "They may meet less often than the larger groups.",
            "Each works in its own way, so ask what to expect.",
        ),
    ),
    _section(
        "Groups for family and friends, such as Al-Anon",
        _p("These are for the people close to someone who drinks or uses drugs."),
        _p("Reasons people choose them:"),
        _list("Family and friends get support for themselves."),
        _p("Things some people find harder:"),
        _list("They are not the place to get help with your own drinking or drug use."),
    ),
    _section(
        "Not sure?",
        _p("Try one 12-step meeting and one SMART Recovery meeting, then compare them."),
    ),
]

SUPPORT_TO_GO = [
    _section(
        "",
        _p("Going to your first meeting can feel like a big step. You do not have to do it alone."),
    ),
    _section(
        "What your keyworker can do",
        _list(
            "Help you choose a meeting that fits your week.",
            "Give you the address, the time and directions.",
            "Go through these hand-outs with you, if reading is hard.",
            "Talk with you afterwards about how it went.",
        ),
    ),
    _section(
        "A peer volunteer",
        _p(
            "A peer volunteer has their own experience of recovery and goes to meetings "
            "themselves. We check and train every volunteer. A volunteer can:"
        ),
        _list(
            "meet you in a public place near the meeting, at a time agreed with you",
            "go in with you, and sit with you if you like",
            "tell you what to expect and introduce you to people",
        ),
        _p(
            "The volunteer is told where and when to meet you. They are told your first name "
            "and phone number only if you say yes."
        ),
    ),
    _section(
        "Other people who can help",
        _p(
            "A friend or someone in your family could go with you. Someone you know from a group "
            "may give you a lift."
        ),
    ),
    _section(
        "Staying safe",
        _list(
            "Meet in a public place.",
            "Tell someone where you are going.",
            "Know how you will get home.",
            "If you change your mind or cannot go, tell your keyworker. That is fine.",
        ),
    ),
]

# The hand-outs by the codes sessions record (portal/clients/fama.py HANDOUTS).
STANDARD: dict[str, dict[str, Any]] = {
    "1": {"title": "What mutual aid is", "sections": WHAT_MUTUAL_AID_IS},
    "2": {"title": "Why it can help", "sections": WHY_IT_HELPS},
    "3": {"title": "Going to meetings", "sections": GOING_TO_MEETINGS},
    "4": {"title": "Joining a group", "sections": JOINING_A_GROUP},
    "5": {"title": "Worries and ways through them", "sections": WORRIES_AND_WHAT_HELPS},
    "6": {"title": "Groups near you", "sections": GROUPS_NEAR_YOU},
    "7": {"title": "Choosing a group", "sections": CHOOSING_A_GROUP},
    "8": {"title": "Support to go to a meeting", "sections": SUPPORT_TO_GO},
}
